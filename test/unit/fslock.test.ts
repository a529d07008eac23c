import { buildSync } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanStolenLocks, STALE_MS, withFileLock } from '../../src/util/fslock.js';
import { PROJECT_ROOT } from '../helpers/repo.js';
import { scratchDirs } from '../helpers/repo.js';

const { tmp } = scratchDirs();

/**
 * What the next acquirer must not do after a crash is wait for the stale timeout. These tests
 * bound the wait well under STALE_MS: a correctness bound (was the crashed lock recognised as
 * abandoned?), not a speed benchmark.
 */
const BOUND_MS = STALE_MS / 3;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', () => resolve(p.pid!));
  });
}

/** fslock bundled alone, so a child process can take a lock and die at a failpoint. */
let bundled: string | undefined;
function fslockBundle(): string {
  if (bundled) return bundled;
  const out = join(tmp('fslock-bundle-'), 'fslock.mjs');
  buildSync({ entryPoints: [join(PROJECT_ROOT, 'src/util/fslock.ts')], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'warning' });
  return (bundled = out);
}

/** Run withFileLock(lockDir) in a child that SIGKILLs itself at `point`. */
function crashAt(point: string, lockDir: string): Promise<NodeJS.Signals | null> {
  const script = `import(${JSON.stringify(fslockBundle())}).then((m) => m.withFileLock(${JSON.stringify(lockDir)}, async () => {}))`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', script], { stdio: 'ignore', env: { ...process.env, AMEIDE_PKG_FAILPOINT: point } });
    p.on('error', reject);
    p.on('exit', (_code, signal) => resolve(signal));
  });
}

describe('fslock: a lock appears together with its owner', () => {
  it.each(['lock:staged', 'lock:taken'])('a holder killed at %s does not stall the next acquirer (well under STALE_MS)', async (point) => {
    const dir = tmp('lock-crash-');
    const lock = join(dir, 'm');
    expect(await crashAt(point, lock)).toBe('SIGKILL');
    // At every crash point the lock path is either absent or holds an owner.
    if (existsSync(lock)) expect(readdirSync(lock)).toEqual(['owner']);
    let ran = false;
    const { ms } = await timed(() => withFileLock(lock, async () => void (ran = true)));
    expect(ran).toBe(true);
    expect(ms).toBeLessThan(BOUND_MS);
    // Start-up cleaning removes what the dead process staged; the lock itself is released.
    await cleanStolenLocks(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an owner-less lock directory (what a crash between mkdir and the owner write used to leave) is not waited on', async () => {
    const dir = tmp('lock-empty-');
    const lock = join(dir, 'm');
    mkdirSync(lock);
    const { ms } = await timed(() => withFileLock(lock, async () => 1));
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('a lock of a dead process on this host, or of an earlier incarnation of this pid (restarted container), is taken over at once', async () => {
    for (const pid of [await deadPid(), process.pid]) {
      const lock = join(tmp('lock-dead-'), 'm');
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), JSON.stringify({ id: 'earlier', host: hostname(), pid }));
      const { ms } = await timed(() => withFileLock(lock, async () => 1));
      expect(ms, `pid ${pid}`).toBeLessThan(BOUND_MS);
    }
  });

  it('a live holder is waited for: the acquirer runs only after the holder released', async () => {
    const lock = join(tmp('lock-live-'), 'm');
    mkdirSync(lock);
    // process.ppid is alive and not this process: a genuine other holder.
    writeFileSync(join(lock, 'owner'), JSON.stringify({ id: 'other', host: hostname(), pid: process.ppid }));
    let released = false;
    const waiter = withFileLock(lock, async () => released);
    await new Promise((r) => setTimeout(r, 400));
    const { rmSync } = await import('node:fs');
    released = true;
    rmSync(lock, { recursive: true });
    expect(await waiter).toBe(true);
  });

  it('the lock path never exists without its owner file, across many take/release cycles', async () => {
    const lock = join(tmp('lock-watch-'), 'm');
    let stop = false;
    const seen: string[][] = [];
    const watcher = (async () => {
      while (!stop) {
        const names = await readdir(lock).catch(() => null);
        if (names && !names.includes('owner')) seen.push(names);
      }
    })();
    for (let i = 0; i < 60; i++) await withFileLock(lock, async () => {});
    stop = true;
    await watcher;
    expect(seen).toEqual([]);
  });
});
