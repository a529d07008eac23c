import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const EXAMPLE = join(PROJECT_ROOT, 'fixtures/example');
export const CLI = join(PROJECT_ROOT, 'dist/cli/main.js');

/** Fixed dates make the commit SHA and committer time deterministic. */
export const FIXED_DATE = '2025-11-06T08:30:12Z';
export const FIXED_TIMESTAMP = '20251106083012';

export function gitEnv(date = FIXED_DATE): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Ameide Test',
    GIT_AUTHOR_EMAIL: 'test@ameide.invalid',
    GIT_COMMITTER_NAME: 'Ameide Test',
    GIT_COMMITTER_EMAIL: 'test@ameide.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

export function gitIn(dir: string, args: string[], date = FIXED_DATE): string {
  return execFileSync('git', args, { cwd: dir, env: gitEnv(date), encoding: 'utf8' }).trim();
}

export function tempDir(prefix = 'ameide-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh git copy of fixtures/example (or another fixture tree) with one fixed-date commit. */
export function makeRepo(source = EXAMPLE, opts: { date?: string; init?: boolean } = {}): string {
  const dir = tempDir('ameide-repo-');
  // Filter on the path INSIDE the source: the source itself may live under /tmp.
  cpSync(source, dir, { recursive: true, filter: (p) => !/\/(node_modules|tmp)(\/|$)/.test(p.slice(source.length)) });
  if (opts.init === false) return dir;
  gitIn(dir, ['init', '-q', '-b', 'main']);
  gitIn(dir, ['add', '-A']);
  gitIn(dir, ['commit', '-q', '-m', 'example'], opts.date);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Temp dirs removed after the calling test file: `tmp()` makes one, `track()` adopts one
 * made elsewhere (makeRepo, fixtures).
 */
export function scratchDirs(): { tmp: (prefix?: string) => string; track: <T extends string>(dir: T) => T } {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  return {
    tmp: (prefix) => {
      const d = tempDir(prefix);
      dirs.push(d);
      return d;
    },
    track: (dir) => {
      dirs.push(dir);
      return dir;
    },
  };
}
