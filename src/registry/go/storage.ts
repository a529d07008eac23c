import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative, sep } from 'node:path';
import { compareSemver, escapePath, isValidSemver, canonicalSemver } from '../../languages/go/module.js';
import { writeFileAtomic, fsyncDir } from '../../util/atomic.js';
import { cleanStolenLocks, withFileLock } from '../../util/fslock.js';
import { failpoint } from '../../util/failpoint.js';

/**
 * Module storage shared with Athens. Invariants (DESIGN.md §7):
 *
 *  1. Athens layout  <root>/<module>/<version>/{go.mod, source.zip, <version>.info}
 *     (module path NOT case-escaped). Athens counts a version as present only when that
 *     directory holds exactly these three files, so the directory is staged elsewhere on the
 *     same filesystem and appears with ONE rename: that rename is the commit point.
 *  2. GOPROXY layout <root>/<escaped module>/@v/<escaped version>.{info,mod,zip} and @v/list,
 *     usable unchanged as GOPROXY=file://<root>. Its files are hard links to (or copies of) the
 *     committed Athens files, renamed in after the commit point; `list` is rebuilt from what is
 *     complete, under the module lock.
 *  3. Every write is temp + fsync + rename, under a per-module lock that also holds across
 *     processes. A crash before the commit point leaves only temp names, which `recover`
 *     deletes; a crash after it leaves a committed version whose @v files and list `recover`
 *     completes. Either way: no trace of the version, or a complete one.
 *  4. Versions are immutable: the same version with other bytes is a conflict, never a replace.
 */

export const STAGING_DIR = '.staging';
export const LOCK_DIR = '.locks';
const TEMP_MARK = '.tmp-';

export interface VersionFiles {
  info: Buffer;
  mod: Buffer;
  /** Path of the zip, already on the storage filesystem (inside a staging dir). */
  zipPath: string;
}

export type StoreResult = { status: 'created' } | { status: 'identical' } | { status: 'conflict'; reason: string };

const sha256File = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null)) !== null;
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Hard link when possible (no copy of a 400 MB zip); copy across filesystems. */
async function linkOrCopy(src: string, dst: string): Promise<void> {
  try {
    await link(src, dst);
  } catch {
    await copyFile(src, dst);
    await fsyncFile(dst);
  }
}

export class GoStorage {
  constructor(readonly root: string) {}

  athensDir(module: string, version: string): string {
    return join(this.root, ...module.split('/'), version);
  }

  proxyDir(module: string): string {
    return join(this.root, ...escapePath(module).split('/'), '@v');
  }

  proxyFile(module: string, version: string, ext: 'info' | 'mod' | 'zip'): string {
    return join(this.proxyDir(module), `${escapePath(version)}.${ext}`);
  }

  listFile(module: string): string {
    return join(this.proxyDir(module), 'list');
  }

  lockPath(module: string): string {
    return join(this.root, LOCK_DIR, escapePath(module).replace(/\//g, '%2F'));
  }

  /** A private staging directory on the storage filesystem, named so recovery knows its owner. */
  async newStaging(): Promise<string> {
    const dir = join(this.root, STAGING_DIR, `${hostname()}-${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, STAGING_DIR), { recursive: true });
    await mkdir(join(this.root, LOCK_DIR), { recursive: true });
  }

  /** Writable storage: what /readyz reports. */
  async writable(): Promise<boolean> {
    try {
      const probe = join(this.root, STAGING_DIR, `.ready-${process.pid}-${randomBytes(4).toString('hex')}`);
      await writeFileAtomic(probe, 'ok');
      await rm(probe, { force: true });
      return true;
    } catch {
      return false;
    }
  }

  withModuleLock<T>(module: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath(module), fn);
  }

  /** Complete = all three Athens files present (Athens' own rule) — never partially visible. */
  async isCommitted(module: string, version: string): Promise<boolean> {
    const dir = this.athensDir(module, version);
    const names = await readdir(dir).catch(() => null);
    if (!names) return false;
    return ['go.mod', 'source.zip', `${version}.info`].every((n) => names.includes(n));
  }

  async store(module: string, version: string, files: VersionFiles): Promise<StoreResult> {
    return this.withModuleLock(module, async () => {
      const athens = this.athensDir(module, version);
      if (await exists(athens)) {
        if (!(await this.isCommitted(module, version))) {
          return { status: 'conflict', reason: `${athens} exists but is not a complete version directory` };
        }
        const [info, mod, zipSha] = await Promise.all([
          readFile(join(athens, `${version}.info`)),
          readFile(join(athens, 'go.mod')),
          sha256File(join(athens, 'source.zip')),
        ]);
        // Hashing the new zip only here keeps the common (new version) path to one pass.
        const newZipSha = await sha256File(files.zipPath);
        const diffs = [
          !info.equals(files.info) && '.info',
          !mod.equals(files.mod) && 'go.mod',
          zipSha !== newZipSha && 'zip',
        ].filter(Boolean);
        if (diffs.length) return { status: 'conflict', reason: `${module}@${version} is already stored with a different ${diffs.join(', ')}` };
        await this.completeProxyLayout(module, version);
        return { status: 'identical' };
      }

      // Stage the Athens directory next to the zip (same filesystem), then commit by rename.
      const staged = join(files.zipPath, '..', 'athens');
      await mkdir(staged, { recursive: true });
      await writeFileAtomic(join(staged, 'go.mod'), files.mod);
      await writeFileAtomic(join(staged, `${version}.info`), files.info);
      await rename(files.zipPath, join(staged, 'source.zip'));
      await fsyncFile(join(staged, 'source.zip'));
      await fsyncDir(staged);
      failpoint('store:staged');
      await mkdir(join(athens, '..'), { recursive: true });
      await rename(staged, athens); // ← commit point
      await fsyncDir(join(athens, '..'));
      failpoint('store:committed');
      await this.completeProxyLayout(module, version);
      return { status: 'created' };
    });
  }

  /** Make the @v files of a committed version exist, then rebuild `list`. Idempotent. Caller holds the lock. */
  async completeProxyLayout(module: string, version: string): Promise<void> {
    const athens = this.athensDir(module, version);
    const dir = this.proxyDir(module);
    await mkdir(dir, { recursive: true });
    // .info last: a reader that sees .info may rely on .mod and .zip being there.
    const pairs: [string, 'mod' | 'zip' | 'info'][] = [
      ['go.mod', 'mod'],
      ['source.zip', 'zip'],
      [`${version}.info`, 'info'],
    ];
    for (const [src, ext] of pairs) {
      const dst = this.proxyFile(module, version, ext);
      if (await exists(dst)) continue;
      const tmp = `${dst}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
      await linkOrCopy(join(athens, src), tmp);
      failpoint(`proxy:temp-${ext}`);
      await rename(tmp, dst);
      failpoint(`proxy:renamed-${ext}`);
    }
    await fsyncDir(dir);
    await this.rewriteList(module);
  }

  /** Versions whose three @v files exist, in Go's order. */
  async completeVersions(module: string): Promise<string[]> {
    const names = await readdir(this.proxyDir(module)).catch(() => [] as string[]);
    const set = new Set(names);
    const versions: string[] = [];
    for (const n of names) {
      if (!n.endsWith('.info') || n.includes(TEMP_MARK)) continue;
      const esc = n.slice(0, -'.info'.length);
      if (!set.has(`${esc}.mod`) || !set.has(`${esc}.zip`)) continue;
      const v = esc.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase());
      if (isValidSemver(v) && canonicalSemver(v) === v) versions.push(v);
    }
    return versions.sort(compareSemver);
  }

  async rewriteList(module: string): Promise<void> {
    const versions = await this.completeVersions(module);
    const body = versions.map((v) => v + '\n').join('');
    const cur = await readFile(this.listFile(module), 'utf8').catch(() => null);
    if (cur !== body) await writeFileAtomic(this.listFile(module), body);
  }

  async list(module: string): Promise<string[] | null> {
    const text = await readFile(this.listFile(module), 'utf8').catch(() => null);
    if (text === null) return null;
    return text.split('\n').filter(Boolean);
  }

  /** Every committed (module, version) in the Athens layout. */
  async committedVersions(): Promise<{ module: string; version: string }[]> {
    const out: { module: string; version: string }[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 32) return;
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory() || e.name === '@v' || e.name.startsWith('.')) continue;
        const p = join(dir, e.name);
        if (isValidSemver(e.name) && canonicalSemver(e.name) === e.name) {
          const module = relative(this.root, dir).split(sep).join('/');
          if (module && (await this.isCommitted(module, e.name))) out.push({ module, version: e.name });
          continue;
        }
        await walk(p, depth + 1);
      }
    };
    await walk(this.root, 0);
    return out;
  }

  /**
   * Start-up recovery: delete staging dirs and temp files of processes that are gone, finish
   * the @v layout of every committed version, and rebuild every list.
   */
  async recover(): Promise<{ removedStaging: number; completed: number }> {
    await this.init();
    await cleanStolenLocks(join(this.root, LOCK_DIR));
    let removedStaging = 0;
    const host = hostname();
    for (const name of await readdir(join(this.root, STAGING_DIR)).catch(() => [] as string[])) {
      const m = /^(.*)-(\d+)-[0-9a-f]+$/.exec(name);
      const p = join(this.root, STAGING_DIR, name);
      const st = await stat(p).catch(() => null);
      const dead = m && m[1] === host && !pidAliveSafe(Number(m[2]));
      const old = st && Date.now() - st.mtimeMs > 24 * 3600_000;
      if (dead || old) {
        await rm(p, { recursive: true, force: true });
        removedStaging++;
      }
    }
    let completed = 0;
    const committed = await this.committedVersions();
    const modules = new Set(committed.map((c) => c.module));
    for (const { module, version } of committed) {
      await this.withModuleLock(module, async () => {
        const before = await exists(this.proxyFile(module, version, 'info'));
        await this.removeDeadTemps(module);
        await this.completeProxyLayout(module, version);
        if (!before) completed++;
      });
    }
    // Modules that only have @v leftovers (e.g. every version removed) still get a true list.
    for (const module of modules) await this.withModuleLock(module, () => this.rewriteList(module));
    return { removedStaging, completed };
  }

  private async removeDeadTemps(module: string): Promise<void> {
    const dir = this.proxyDir(module);
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      const m = new RegExp(`${TEMP_MARK.replace('.', '\\.')}(\\d+)-`).exec(n);
      if (m && !pidAliveSafe(Number(m[1]))) await rm(join(dir, n), { force: true });
    }
  }
}

function pidAliveSafe(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
