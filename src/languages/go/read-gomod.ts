import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGoModLax, type GoModFacts } from '../../gomod/modfile.js';
import { usageError } from '../../util/errors.js';

/**
 * A configured module's go.mod, read for publishing: it must exist and parse as the go
 * command reads a dependency's go.mod (src/gomod/modfile.ts), with a module line. Failures are
 * usage errors naming the configured directory (go.modules[].dir).
 */
export async function readGoMod(moduleDir: string, label: string): Promise<{ facts: GoModFacts; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(moduleDir, 'go.mod'));
  } catch {
    throw usageError(`no go.mod in ${label} (go.modules[].dir)`);
  }
  const parsed = parseGoModLax(bytes.toString('utf8'));
  if (!parsed.ok) throw usageError(`${label}/go.mod is not a go.mod the go command reads: ${parsed.error}`);
  if (!parsed.module) throw usageError(`${label}/go.mod has no module line`);
  return { facts: { module: parsed.module, goVersion: parsed.goVersion ?? '' }, bytes };
}
