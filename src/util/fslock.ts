import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A lock that holds across processes (and hosts) sharing one directory: `mkdir` is atomic on
 * every POSIX filesystem, including NFS. The holder writes its owner id inside and refreshes
 * the mtime; a lock whose holder is a dead process on this host, or whose mtime is older than
 * STALE_MS, may be taken over. Take-over renames the lock to `.stolen-<owner id>` — a name
 * unique to that holder — so two processes can never both steal and then share one lock.
 */
export const STALE_MS = 30_000;
const REFRESH_MS = 5_000;
const WAIT_MS = 60_000;

interface Owner {
  id: string;
  host: string;
  pid: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(lockDir: string): Promise<Owner | null> {
  try {
    return JSON.parse(await readFile(join(lockDir, 'owner'), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In-process queue per lock path, so waiters in one process do not poll each other. */
const local = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const prev = local.get(lockDir) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = prev.then(() => mine);
  local.set(lockDir, chained);
  await prev;
  try {
    const unlock = await acquire(lockDir);
    try {
      return await fn();
    } finally {
      await unlock();
    }
  } finally {
    release();
    if (local.get(lockDir) === chained) local.delete(lockDir);
  }
}

async function acquire(lockDir: string): Promise<() => Promise<void>> {
  await mkdir(dirname(lockDir), { recursive: true });
  const me: Owner = { id: randomBytes(8).toString('hex'), host: hostname(), pid: process.pid };
  const deadline = Date.now() + WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'owner'), JSON.stringify(me));
      const timer = setInterval(() => {
        const t = new Date();
        utimes(lockDir, t, t).catch(() => {});
      }, REFRESH_MS);
      timer.unref();
      return async () => {
        clearInterval(timer);
        const owner = await readOwner(lockDir);
        if (owner?.id === me.id) await rm(lockDir, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(lockDir);
    const st = await stat(lockDir).catch(() => null);
    if (!st) continue;
    const deadHolder = owner && owner.host === me.host && !pidAlive(owner.pid);
    // An owner file not yet written is a lock being created right now: give it a moment.
    const stale = Date.now() - st.mtimeMs > STALE_MS;
    if (deadHolder || stale) {
      const tag = owner?.id ?? `unknown-${st.mtimeMs}`;
      await rename(lockDir, `${lockDir}.stolen-${tag}`).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS / 1000}s waiting for lock ${lockDir} (held by ${owner ? `pid ${owner.pid} on ${owner.host}` : 'unknown'})`);
    await sleep(Math.min(5 + attempt * 5, 100) * (0.5 + Math.random()));
  }
}

/** Remove take-over leftovers older than STALE_MS (called on start-up). */
export async function cleanStolenLocks(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) {
    if (!e.includes('.stolen-')) continue;
    const st = await stat(join(dir, e)).catch(() => null);
    if (st && Date.now() - st.mtimeMs > STALE_MS) await rm(join(dir, e), { recursive: true, force: true });
  }
}
