import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compareSemver, isValidSemver, canonicalSemver } from '../../gomod/semver.js';
import { escapePath } from '../../gomod/escape.js';
import { fsyncFile, writeFileAtomic, fsyncDir } from '../../util/atomic.js';
import { cleanStolenLocks, withFileLock } from '../../util/fslock.js';
import { failpoint } from '../../util/failpoint.js';
import { checkStorageNames, enclosingVersions, isVersionName, lockName, type ModuleVersion } from './layout.js';
import { ownedName, ownerGone, pidAlive } from '../../util/owner.js';

/**
 * Module storage shared with Athens. Invariants (docs/architecture.md §7.2):
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
 *  5. No module lives inside another module's version directory (layout.ts says why that is
 *     the only way two modules' trees can meet). A module whose path has version-shaped
 *     elements is stored holding the locks of the modules owning those directories too,
 *     shortest first: every lock set is a chain of prefixes of one path taken in length order,
 *     so no two stores can wait on each other in a cycle; and the enclosing module, storing
 *     that version, holds its own lock — so "child inside parent@v" and "parent@v over child"
 *     are each checked against a tree the other cannot change meanwhile.
 *  6. Every name storage creates is bounded (locks are hashes; module, version and temp names
 *     are checked against 255-byte names and 4096-byte paths before anything is written), so
 *     a legal module path never meets ENAMETOOLONG halfway: it is stored, or refused up front.
 *  7. Refusals name module, version and file — never a server path.
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

/** conflict: with what is stored (HTTP 409) · invalid: this module/version cannot be stored here (HTTP 400). */
export type StoreResult =
  | { status: 'created' }
  | { status: 'identical' }
  | { status: 'conflict'; reason: string; detail?: string }
  | { status: 'invalid'; reason: string; detail?: string };

/** What is at a version's Athens directory. */
type VersionDirState =
  | { kind: 'absent' }
  | { kind: 'committed' }
  | { kind: 'not-a-directory' }
  /** Other modules' directories only (none of the three Athens files): a module nested inside. */
  | { kind: 'nested' }
  /** Some Athens files, or files of the wrong type: not a version Athens or we would count. */
  | { kind: 'partial' };

const athensFiles = (version: string) => ['go.mod', 'source.zip', `${version}.info`];

const NESTED_DETAIL = 'Athens keeps each version of a module in <module>/<version>/, so a module path cannot continue below a stored version';

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
  /** store() renames the staged zip into the version directory (upload.ts flushes it early). */
  readonly keepsStagedZip = true;
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
    return join(this.root, LOCK_DIR, lockName(module));
  }

  /** A private staging directory on the storage filesystem, named so recovery knows its owner. */
  async newStaging(): Promise<string> {
    const dir = join(this.root, STAGING_DIR, ownedName());
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

  /** Nested module locks, taken in the order given (callers pass prefixes shortest first). */
  private withModuleLocks<T>(modules: string[], fn: () => Promise<T>): Promise<T> {
    return modules.reduceRight<() => Promise<T>>((inner, m) => () => this.withModuleLock(m, inner), fn)();
  }

  /** Complete = the three Athens files present as regular files (Athens' own rule) — never partially visible. */
  async isCommitted(module: string, version: string): Promise<boolean> {
    return (await this.versionDirState(module, version)).kind === 'committed';
  }

  private async versionDirState(module: string, version: string): Promise<VersionDirState> {
    const dir = this.athensDir(module, version);
    const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      if (err.code === 'ENOTDIR') return 'blocked' as const; // a file where a parent directory belongs
      throw err;
    });
    if (st === null) return { kind: 'absent' };
    if (st === 'blocked' || !st.isDirectory()) return { kind: 'not-a-directory' };
    const entries = await readdir(dir, { withFileTypes: true });
    const own = athensFiles(version);
    if (entries.length === 0) return { kind: 'absent' }; // holds nothing: the commit rename replaces it
    if (own.every((n) => entries.some((e) => e.name === n && e.isFile()))) return { kind: 'committed' };
    if (!entries.some((e) => own.includes(e.name))) return { kind: 'nested' };
    return { kind: 'partial' };
  }

  async store(module: string, version: string, files: VersionFiles): Promise<StoreResult> {
    const tooLong = checkStorageNames(Buffer.byteLength(this.root), module, version);
    if (tooLong) return { status: 'invalid', reason: tooLong, detail: 'use a shorter module path or version' };
    const enclosing = enclosingVersions(module);
    return this.withModuleLocks([...enclosing.map((e) => e.module), module], async () => {
      let committed: StoreResult;
      try {
        committed = await this.commit(module, version, files, enclosing);
      } catch (err) {
        const refusal = refusalFor(err, module, version);
        if (refusal) return refusal;
        throw err;
      }
      if (committed.status === 'created' || committed.status === 'identical') {
        if (committed.status === 'created') failpoint('store:committed');
        await this.completeProxyLayout(module, version);
      }
      return committed;
    });
  }

  /** Everything up to and including the commit point. Caller holds the locks of `enclosing` and `module`. */
  private async commit(module: string, version: string, files: VersionFiles, enclosing: ModuleVersion[]): Promise<StoreResult> {
    for (const e of enclosing) {
      const s = await this.versionDirState(e.module, e.version);
      if (s.kind === 'committed' || s.kind === 'partial') {
        return { status: 'invalid', reason: `module path ${module} would be stored inside the version directory of ${e.module}@${e.version}`, detail: NESTED_DETAIL };
      }
    }
    const athens = this.athensDir(module, version);
    const state = await this.versionDirState(module, version);
    switch (state.kind) {
      case 'committed':
        return this.compareStored(module, version, files);
      case 'nested': {
        const inside = await this.committedVersions(`${module}/${version}`);
        const first = (await readdir(athens)).sort()[0];
        const who = inside[0] ? `module ${inside[0].module}` : `other modules' data (${module}/${version}/${first})`;
        return { status: 'conflict', reason: `${module}@${version} cannot be stored: its version directory already holds ${who}`, detail: NESTED_DETAIL };
      }
      case 'partial':
        return { status: 'conflict', reason: `${module}@${version} is partly present in storage (not a complete version directory)`, detail: 'an operator must remove the incomplete version before it can be stored' };
      case 'not-a-directory':
        return occupied(module, version);
      case 'absent':
        break;
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
    return { status: 'created' };
  }

  /** The version is committed: the same bytes are a retry (identical), others a conflict. */
  private async compareStored(module: string, version: string, files: VersionFiles): Promise<StoreResult> {
    const athens = this.athensDir(module, version);
    const [info, mod, zipSha] = await Promise.all([
      readFile(join(athens, `${version}.info`)),
      readFile(join(athens, 'go.mod')),
      sha256File(join(athens, 'source.zip')),
    ]);
    // Hashing the new zip only here keeps the common (new version) path to one pass.
    const newZipSha = await sha256File(files.zipPath);
    const diffs = [!info.equals(files.info) && '.info', !mod.equals(files.mod) && 'go.mod', zipSha !== newZipSha && 'zip'].filter(Boolean);
    if (diffs.length) return { status: 'conflict', reason: `${module}@${version} is already stored with a different ${diffs.join(', ')}` };
    return { status: 'identical' };
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

  /**
   * Every committed (module, version) in the Athens layout, below `under` (a module-path prefix;
   * default the whole tree). Version directories are walked into as well: a module an older
   * release nested inside one, or a module whose path merely has a version-shaped element
   * (`v1.0.0/x`, `m/v9.9.9/sub` beside m's own versions), is found like any other.
   */
  async committedVersions(under = ''): Promise<ModuleVersion[]> {
    const out: ModuleVersion[] = [];
    const walk = async (dir: string, module: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      // Never part of a module path: `.staging`/`.locks`/temps (leading dot), the @v trees, case-escaped trees (`!`).
      for (const e of entries) {
        if (!e.isDirectory() || e.name.startsWith('.') || e.name === '@v' || e.name.includes('!')) continue;
        if (module && isVersionName(e.name) && (await this.isCommitted(module, e.name))) out.push({ module, version: e.name });
        await walk(join(dir, e.name), module ? `${module}/${e.name}` : e.name);
      }
    };
    await walk(under ? join(this.root, ...under.split('/')) : this.root, under);
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
    for (const name of await readdir(join(this.root, STAGING_DIR)).catch(() => [] as string[])) {
      const p = join(this.root, STAGING_DIR, name);
      const st = await stat(p).catch(() => null);
      const dead = ownerGone(name);
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
      if (m && !pidAlive(Number(m[1]))) await rm(join(dir, n), { force: true });
    }
  }
}

/** A file or directory stands where module@version's directory (or one of its parents) belongs. */
function occupied(module: string, version: string): StoreResult {
  return {
    status: 'conflict',
    reason: `${module}@${version} cannot be stored: the storage holds a file or directory where its version directory belongs`,
    detail: 'an operator must inspect the storage tree of this module',
  };
}

/**
 * Filesystem refusals before the commit point, as answers instead of 500s: a name the
 * filesystem cannot hold (one with shorter names than checkStorageNames assumes), or a file
 * where a directory belongs (foreign writes racing us). The errors' messages carry server
 * paths, so only the module and version are named.
 */
function refusalFor(err: unknown, module: string, version: string): StoreResult | null {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENAMETOOLONG':
      return { status: 'invalid', reason: `${module}@${version} is too long to store: the storage filesystem refused a name as too long`, detail: 'use a shorter module path or version' };
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
    case 'ENOTEMPTY':
      return occupied(module, version);
    default:
      return null;
  }
}
