import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncFile, fsyncDir, writeFileAtomic } from '../../util/atomic.js';
import { failpoint } from '../../util/failpoint.js';
import { cleanStolenLocks, withFileLock } from '../../util/fslock.js';
import { ownedName, ownerGone } from '../../util/owner.js';

/**
 * Storage of the Python index. Invariants:
 *
 *  1. Layout  <root>/<normalized project>/<filename>        the distribution file
 *             <root>/<normalized project>/<filename>.json   its metadata (FileMeta)
 *     Project directories are PEP 503 normalized names, which never start with "."; the
 *     bookkeeping directories (.staging, .locks) and temp files always do.
 *  2. A file exists for readers (listed on the simple pages, served under /packages) exactly
 *     when its metadata exists. The file is renamed in from staging and fsynced first; the
 *     metadata is written temp + fsync + rename after it: that rename is the commit point.
 *  3. Uploads stream into a private staging directory on the same filesystem, named
 *     <host>-<pid>-<random> so that start-up recovery can tell whose it is. Everything in a
 *     project directory changes only under that project's lock, which holds across processes.
 *     A crash before the commit point leaves a staging directory, a file without metadata, or a
 *     metadata temp file — `recover` removes all three — never a listed, half-written file.
 *  4. File names are immutable: the same name with the same bytes is an identical re-upload,
 *     with other bytes a conflict. A committed file is never replaced.
 */

export const STAGING_DIR = '.staging';
export const LOCK_DIR = '.locks';
const META_SUFFIX = '.json';
/** A staging directory whose owner cannot be checked (another host) is abandoned after this. */
const STAGING_MAX_AGE_MS = 24 * 3600_000;

export interface FileMeta {
  filename: string;
  sha256: string;
  /** PEP 440 normal form of the upload's version. */
  version: string;
  filetype: string;
  requiresPython?: string;
  uploadedAt: string;
  size: number;
}

export type StoreResult = { status: 'created' } | { status: 'identical' } | { status: 'conflict'; existing: FileMeta };

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class PythonStorage {
  constructor(readonly root: string) {}

  projectDir(norm: string): string {
    return join(this.root, norm);
  }

  /** Hashed, so the lock's temp and stolen names fit in 255 bytes whatever the project name. */
  private lockPath(norm: string): string {
    return join(this.root, LOCK_DIR, `py-${createHash('sha256').update(norm).digest('hex')}`);
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, STAGING_DIR), { recursive: true });
    await mkdir(join(this.root, LOCK_DIR), { recursive: true });
  }

  /** A private staging directory on the storage filesystem, named so recovery knows its owner. */
  async newStaging(): Promise<string> {
    const dir = join(this.root, STAGING_DIR, ownedName());
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Committed files of a project, by file name. A metadata file that cannot be read is skipped. */
  async files(norm: string): Promise<FileMeta[]> {
    const dir = this.projectDir(norm);
    const names = await readdir(dir).catch(() => [] as string[]);
    const metas: FileMeta[] = [];
    for (const n of names) {
      if (!n.endsWith(META_SUFFIX) || n.startsWith('.')) continue;
      const meta = await readFile(join(dir, n), 'utf8').then((t) => JSON.parse(t) as FileMeta, () => null);
      if (meta) metas.push(meta);
    }
    return metas.sort((a, b) => byCodeUnits(a.filename, b.filename));
  }

  /** Projects with at least one committed file. */
  async projects(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const names = await readdir(this.projectDir(e.name)).catch(() => [] as string[]);
      if (names.some((n) => n.endsWith(META_SUFFIX) && !n.startsWith('.'))) out.push(e.name);
    }
    return out.sort(byCodeUnits);
  }

  /** Path and size of a committed file, or null (unknown, or not committed yet). */
  async committedFile(norm: string, filename: string): Promise<{ path: string; size: number } | null> {
    if (filename.startsWith('.') || filename.includes('/') || filename.endsWith(META_SUFFIX)) return null;
    const path = join(this.projectDir(norm), filename);
    const [meta, st] = await Promise.all([stat(path + META_SUFFIX).catch(() => null), stat(path).catch(() => null)]);
    return meta && st?.isFile() ? { path, size: st.size } : null;
  }

  /**
   * Commit `stagedPath` (on this filesystem) as `meta.filename` of project `norm`: the file is
   * moved in, then its metadata written (the commit point). Identical bytes under an existing
   * name are success; other bytes a conflict.
   */
  async store(norm: string, meta: FileMeta, stagedPath: string): Promise<StoreResult> {
    return withFileLock(this.lockPath(norm), async () => {
      const dir = this.projectDir(norm);
      const target = join(dir, meta.filename);
      const existing = await readFile(target + META_SUFFIX, 'utf8').then((t) => JSON.parse(t) as FileMeta, () => null);
      if (existing) return existing.sha256 === meta.sha256 ? { status: 'identical' } : { status: 'conflict', existing };
      await mkdir(dir, { recursive: true });
      await fsyncFile(stagedPath);
      // Replaces a file left without metadata by a crash: it was never visible.
      await rename(stagedPath, target);
      await fsyncDir(dir);
      failpoint('python:file-placed');
      await writeFileAtomic(target + META_SUFFIX, JSON.stringify(meta, null, 2) + '\n'); // ← commit point
      failpoint('python:committed');
      return { status: 'created' };
    });
  }

  /**
   * Start-up recovery: remove staging directories of processes that are gone (this host, pid
   * not alive) or abandoned (older than a day), and in every project, under its lock, files
   * without metadata and temp files — while the lock is held nobody else is writing there.
   */
  async recover(): Promise<{ removedStaging: number; removedOrphans: number }> {
    await this.init();
    await cleanStolenLocks(join(this.root, LOCK_DIR));
    let removedStaging = 0;
    for (const name of await readdir(join(this.root, STAGING_DIR)).catch(() => [] as string[])) {
      const p = join(this.root, STAGING_DIR, name);
      const dead = ownerGone(name);
      const st = await stat(p).catch(() => null);
      const old = st !== null && Date.now() - st.mtimeMs > STAGING_MAX_AGE_MS;
      if (dead || old) {
        await rm(p, { recursive: true, force: true });
        removedStaging++;
      }
    }
    let removedOrphans = 0;
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      removedOrphans += await withFileLock(this.lockPath(e.name), async () => {
        const dir = this.projectDir(e.name);
        const names = new Set(await readdir(dir).catch(() => [] as string[]));
        let n = 0;
        for (const f of names) {
          const temp = f.startsWith('.');
          const orphan = !temp && !f.endsWith(META_SUFFIX) && !names.has(f + META_SUFFIX);
          if (temp || orphan) {
            await rm(join(dir, f), { recursive: true, force: true });
            n++;
          }
        }
        return n;
      });
    }
    return { removedStaging, removedOrphans };
  }
}
