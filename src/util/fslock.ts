import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { failpoint } from './failpoint.js';
import { pidAlive } from './owner.js';

/**
 * A lock that holds across processes (and hosts) sharing one directory. Invariants:
 *
 *  1. The lock is a directory at `lockDir` that always contains its owner file: it is built
 *     under a unique temp name (`<lockDir>.tmp-<id>`, owner written and synced inside) and
 *     appears by ONE rename. Renaming a directory onto a non-empty one fails (ENOTEMPTY or
 *     EEXIST), so exactly one contender wins, on every POSIX filesystem including NFS. There
 *     is no instant at which a crash leaves a lock without an owner — the next acquirer never
 *     has to wait out STALE_MS just because it cannot tell who holds it.
 *  2. The holder refreshes the mtime every REFRESH_MS. A lock whose holder is a dead process
 *     on this host (or an earlier incarnation of this very pid, as after a container restart),
 *     or whose mtime is older than STALE_MS, may be taken over: it is renamed to
 *     `.stolen-<owner id>` — unique to that holder, so two processes can never both steal one
 *     lock and then share it.
 *  3. Release renames the lock away (`.released-<id>`) before deleting it, so the lock path
 *     never shows a half-deleted, owner-less directory either. An empty directory left at the
 *     lock path by older releases (whose mkdir + write had exactly that window) is replaced
 *     by the next acquirer's rename: POSIX rename onto an empty directory succeeds.
 *  4. Leftovers (`.tmp-`, `.stolen-`, `.released-`) are never locks; cleanStolenLocks removes
 *     them at start-up.
 */
export const STALE_MS = 30_000;
const REFRESH_MS = 5_000;
const WAIT_MS = 60_000;
const LEFTOVER = /\.(tmp|stolen|released)-/;

interface Owner {
  id: string;
  host: string;
  pid: number;
}

/** Ids of the locks this process holds right now (see `abandoned`). */
const held = new Set<string>();


/**
 * The owner recorded here is gone: a dead pid on this host, or this process's own pid with an
 * id it does not hold — an earlier process that had the same pid (a restarted container is
 * pid 1 again, on the same pod host name).
 */
function abandoned(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return !held.has(owner.id);
  return !pidAlive(owner.pid);
}

async function readOwner(lockDir: string): Promise<Owner | null> {
  try {
    const o = JSON.parse(await readFile(join(lockDir, 'owner'), 'utf8')) as Owner;
    return typeof o?.id === 'string' && typeof o.host === 'string' && Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}

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

/** The lock-to-be: a temp directory beside the lock with the owner file written and synced. */
async function stageLock(staged: string, me: Owner): Promise<void> {
  await mkdir(staged, { recursive: true });
  const fh = await open(join(staged, 'owner'), 'w');
  try {
    await fh.writeFile(JSON.stringify(me));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function acquire(lockDir: string): Promise<() => Promise<void>> {
  await mkdir(dirname(lockDir), { recursive: true });
  const me: Owner = { id: randomBytes(8).toString('hex'), host: hostname(), pid: process.pid };
  const staged = `${lockDir}.tmp-${me.id}`;
  const deadline = Date.now() + WAIT_MS;
  try {
    await stageLock(staged, me);
    failpoint('lock:staged');
    for (let attempt = 0; ; attempt++) {
      try {
        held.add(me.id);
        await rename(staged, lockDir); // ← the lock appears, owner inside
        failpoint('lock:taken');
        return holding(lockDir, me);
      } catch (err) {
        held.delete(me.id);
        const code = (err as NodeJS.ErrnoException).code;
        // A long wait may outlive our staged dir (another replica's start-up cleaning): rebuild it.
        if (code === 'ENOENT') {
          await stageLock(staged, me);
          continue;
        }
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
      const owner = await readOwner(lockDir);
      const st = await stat(lockDir).catch(() => null);
      if (!st) continue;
      const stale = Date.now() - st.mtimeMs > STALE_MS;
      if ((owner && abandoned(owner)) || stale) {
        const tag = owner?.id ?? `unknown-${st.mtimeMs}`;
        await rename(lockDir, `${lockDir}.stolen-${tag}`).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${WAIT_MS / 1000}s waiting for lock ${basename(lockDir)} (held by ${owner ? `pid ${owner.pid} on ${owner.host}` : 'unknown'})`);
      }
      await sleep(Math.min(5 + attempt * 5, 100) * (0.5 + Math.random()));
    }
  } finally {
    // Taken: the temp name no longer exists. Not taken: nothing of ours may stay behind.
    await rm(staged, { recursive: true, force: true });
  }
}

function holding(lockDir: string, me: Owner): () => Promise<void> {
  const timer = setInterval(() => {
    const t = new Date();
    utimes(lockDir, t, t).catch(() => {});
  }, REFRESH_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    try {
      const owner = await readOwner(lockDir);
      if (owner?.id !== me.id) return; // taken over while we were stalled: not ours to remove
      const gone = `${lockDir}.released-${me.id}`;
      await rename(lockDir, gone);
      await rm(gone, { recursive: true, force: true });
    } finally {
      held.delete(me.id);
    }
  };
}

/**
 * Remove what crashed or finished lock holders left beside the locks: staged temp dirs,
 * stolen and released locks. Called on start-up; a leftover goes when its owner is a dead
 * process on this host, or when it is old: a staged dir only after twice the longest wait
 * (a live waiter's staged dir must not vanish under its rename), the others after STALE_MS.
 */
export async function cleanStolenLocks(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) {
    const kind = LEFTOVER.exec(e)?.[1];
    if (!kind) continue;
    const p = join(dir, e);
    const st = await stat(p).catch(() => null);
    if (!st) continue;
    const owner = await readOwner(p);
    const maxAge = kind === 'tmp' ? 2 * WAIT_MS : STALE_MS;
    if ((owner && abandoned(owner)) || Date.now() - st.mtimeMs > maxAge) await rm(p, { recursive: true, force: true });
  }
}
