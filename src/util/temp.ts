import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run `fn` in a fresh temp directory that is removed afterwards, whatever happens. */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last lines of a tool's output, on one line: enough to say why it failed. */
export function outputTail(s: unknown, lines = 3): string {
  return String(s ?? '').trim().split('\n').slice(-lines).join(' | ');
}
