import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../../util/errors.js';

/** The two go.mod facts the publisher needs; parsed the way cmd/go's modfile reads them. */
export interface GoModFacts {
  module: string;
  /** The `go` directive, e.g. "1.21", or "" when absent. */
  goVersion: string;
}

function unquote(s: string): string {
  s = s.trim();
  if (s.startsWith('"') && s.endsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith('`') && s.endsWith('`')) return s.slice(1, -1);
  return s;
}

function stripComment(line: string): string {
  const i = line.indexOf('//');
  return i >= 0 ? line.slice(0, i) : line;
}

export function parseGoMod(text: string): GoModFacts {
  let module = '';
  let goVersion = '';
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim();
    const m = /^module\s+(.+)$/.exec(line);
    if (m && !module) module = unquote(m[1]!);
    const g = /^go\s+([0-9][0-9.a-z]*)$/.exec(line);
    if (g && !goVersion) goVersion = g[1]!;
  }
  return { module, goVersion };
}

/** Is go directive `v` at least `major.minor`? ("1.24", "1.24.0", "1.24rc1" all count as 1.24). */
export function goVersionAtLeast(v: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

export async function readGoMod(moduleDir: string, label: string): Promise<{ facts: GoModFacts; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(moduleDir, 'go.mod'));
  } catch {
    throw usageError(`no go.mod in ${label} (go.modules[].dir)`);
  }
  const facts = parseGoMod(bytes.toString('utf8'));
  if (!facts.module) throw usageError(`${label}/go.mod has no module line`);
  return { facts, bytes };
}
