import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as fsp from 'node:fs/promises';
import { BackgroundFlush } from '../../src/util/atomic.js';
import { scratchDirs } from '../helpers/repo.js';

vi.mock('node:fs/promises', async (load) => {
  const real = await load<typeof import('node:fs/promises')>();
  return { ...real, open: vi.fn(real.open) };
});

const { tmp } = scratchDirs();

/** Files opened for an fsync by BackgroundFlush (fsyncFile opens read-only). */
const syncOpens = (path: string) => vi.mocked(fsp.open).mock.calls.filter(([p, flags]) => p === path && flags === 'r').length;

describe('BackgroundFlush', () => {
  it('flushes once per `every` bytes written, never two at once, and once more on flush()', async () => {
    const path = join(tmp('flush-'), 'staged.zip');
    writeFileSync(path, '');
    const f = new BackgroundFlush(path, 100);
    f.wrote(60);
    expect(syncOpens(path)).toBe(0); // under `every`: nothing yet
    f.wrote(60);
    f.wrote(500); // one is running: no second one
    await f.flush(); // waits for the running one, then flushes what came since
    expect(syncOpens(path)).toBe(2);
    appendFileSync(path, 'x');
    await f.flush();
    expect(syncOpens(path)).toBe(3);
  });

  it('settle() waits for a running fsync and starts none', async () => {
    const path = join(tmp('flush-'), 'staged.zip');
    writeFileSync(path, '');
    const f = new BackgroundFlush(path, 10);
    f.wrote(10); // starts one
    await f.settle();
    expect(syncOpens(path)).toBe(1);
    await f.settle();
    expect(syncOpens(path)).toBe(1);
  });

  it('never rejects: the durable fsync comes later, from the store', async () => {
    const f = new BackgroundFlush(join(tmp('flush-'), 'gone', 'staged.zip'), 1);
    f.wrote(10);
    await expect(f.flush()).resolves.toBeUndefined();
  });
});
