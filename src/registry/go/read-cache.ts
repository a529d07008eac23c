import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { compareSemver, semverPrerelease } from '../../gomod/semver.js';
import { DiskModuleStore, type ModuleStore, type ProxyExt } from './backend.js';
import type { GcPlan, GcVersion } from './gc.js';

/**
 * What the read API keeps in memory so that a hot GOPROXY read costs one stat and one write.
 *
 * Invariants:
 *  1. A version's .info/.mod/.zip is served from memory only while that version is in the
 *     module's current list. "Current" is checked on every request before a cached answer:
 *       - disk: one statSync of `@v/list` (inode, size, mtime, ctime). Every writer — an upload,
 *         gc, Athens' .delete, in this process or another one sharing the volume — replaces the
 *         list by rename, so the stamp changes and the list is read again. gc takes a version
 *         out of the list before it deletes its .mod and .zip, so no process serves bytes of a
 *         removed version from memory once its files are gone. A stamp that matches is still
 *         re-read after LIST_TRUST_MS, which bounds the one blind spot (two rewrites of equal
 *         size within one mtime tick that reuse the old inode).
 *       - other stores (S3): the list is trusted for LIST_TRUST_MS; writes through this process
 *         invalidate it at once (see observeWrites), writes elsewhere are seen within that time.
 *  2. Versioned files are immutable, so a cached file is never revalidated against its bytes:
 *     it leaves the cache only by LRU eviction or when its version leaves the list (gc), and
 *     a version uploaded again after gc gets a fresh entry (the old one went with the list).
 *  3. Bounded: files by bytes (least recently used first, `maxBytes`), each at most `maxEntryBytes` (bigger zips are
 *     streamed from the store); module lists by count. The cache never holds anything that is
 *     not also in the store, so dropping it at any time is always correct.
 *  4. Strong ETags are content hashes (sha256) of the exact bytes served; `list` and
 *     `@latest` revalidate (`no-cache`), versioned files are `immutable` for a year.
 */

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';
const LIST_TRUST_MS = 1000;
export const CONTENT_TYPES = { info: 'application/json', mod: 'text/plain; charset=utf-8', zip: 'application/zip', list: 'text/plain; charset=utf-8' } as const;

/** A complete answer: the bytes and what its headers say about them. */
export interface CachedBody {
  body: Buffer;
  etag: string;
  type: string;
  cacheControl: string;
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

export function cachedBody(body: Buffer, type: string, cacheControl: string, etag = etagOf(body)): CachedBody {
  return { body, etag, type, cacheControl };
}

/** If-None-Match (weak comparison, as RFC 9110 asks for this header). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** What identifies one version of a module's list file: every writer replaces it by rename. */
export interface ListStamp {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const sameStamp = (a: ListStamp | null | undefined, b: ListStamp | null): boolean =>
  a === b || (!!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs);

export interface ModuleListState {
  stamp: ListStamp | null;
  loadedAt: number;
  versions: Set<string>;
  list: CachedBody;
  /** The newest version's .info with revalidating headers; null when there is none (or it is missing). */
  latest: CachedBody | null;
  latestVersion: string | undefined;
}

export interface ReadCacheOptions {
  maxBytes?: number;
  maxEntryBytes?: number;
  maxModules?: number;
  now?: () => number;
}

export class ReadCache {
  /** In recency order, least recent first; `at`: the placement that put the file last. */
  private readonly files = new Map<string, { body: CachedBody; at: number }>();
  private placements = 0;
  private fileBytes = 0;
  private readonly lists = new Map<string, ModuleListState>();
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  private readonly maxModules: number;
  private readonly now: () => number;
  private readonly disk: DiskModuleStore | null;

  constructor(
    readonly store: ModuleStore,
    o: ReadCacheOptions = {},
  ) {
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntryBytes = Math.min(o.maxEntryBytes ?? 1024 * 1024, this.maxBytes);
    this.maxModules = o.maxModules ?? 4096;
    this.now = o.now ?? Date.now;
    this.disk = store instanceof DiskModuleStore ? store : null;
  }

  /**
   * Stamp of the list as it is now (disk); undefined when the store has no cheap stamp.
   * Requests answered in the same event-loop turn share one stat: they are answered in the
   * same instant anyway (nothing else runs in between), so this adds no staleness.
   */
  private stampNow(module: string): ListStamp | null | undefined {
    if (!this.disk) return undefined;
    const seen = this.turnStamps.get(module);
    if (seen !== undefined) return seen;
    const st = statSync(this.disk.storage.listFile(module), { throwIfNoEntry: false });
    const stamp = st ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs } : null;
    if (this.turnStamps.size === 0) setImmediate(() => this.turnStamps.clear());
    this.turnStamps.set(module, stamp);
    return stamp;
  }
  private readonly turnStamps = new Map<string, ListStamp | null>();

  /** The module's list state if it is known to be current, without any I/O beyond one stat. */
  currentList(module: string): ModuleListState | undefined {
    const s = this.lists.get(module);
    if (!s) return undefined;
    if (this.now() - s.loadedAt >= LIST_TRUST_MS) return undefined;
    if (this.disk && !sameStamp(this.stampNow(module), s.stamp)) return undefined;
    return s;
  }

  /** The module's current list (re-read when stale); null for an unknown module. */
  async list(module: string): Promise<ModuleListState | null> {
    const fresh = this.currentList(module);
    if (fresh) return fresh;
    // Stamp first, then read: a write in between makes the next stamp differ (re-read again),
    // never a stale list under a new stamp.
    const stamp = this.stampNow(module) ?? null;
    const loadedAt = this.now();
    const versions = await this.store.list(module);
    if (versions === null) {
      this.dropModule(module);
      return null;
    }
    const latestV = latestVersion(versions);
    const listBody = Buffer.from(versions.map((v) => v + '\n').join(''));
    const state: ModuleListState = {
      stamp,
      loadedAt,
      versions: new Set(versions),
      list: cachedBody(listBody, CONTENT_TYPES.list, REVALIDATE),
      latest: null,
      latestVersion: latestV,
    };
    // Versions gone from the list take their cached files with them (invariant 1/2).
    const old = this.lists.get(module);
    if (old) for (const v of old.versions) if (!state.versions.has(v)) this.dropVersion(module, v);
    this.lists.delete(module);
    this.lists.set(module, state);
    while (this.lists.size > this.maxModules) this.dropModule(this.lists.keys().next().value!);
    if (latestV) {
      const info = await this.file(module, latestV, 'info', state);
      if (info && 'body' in info && Buffer.isBuffer(info.body)) state.latest = cachedBody(info.body, CONTENT_TYPES.info, REVALIDATE, info.etag);
    }
    return state;
  }

  /** A cached versioned file, only while its version is listed (invariant 1). */
  cachedFile(module: string, version: string, ext: ProxyExt, state: ModuleListState, key = fileKey(module, version, ext)): CachedBody | undefined {
    if (!state.versions.has(version)) return undefined;
    const hit = this.files.get(key);
    if (!hit) return undefined;
    // LRU, moved only when it matters: a file placed last within the latest half of the
    // placements is already in the newer half of the order, so it stays (eviction takes from
    // the front). A hot file is then moved about once per size/2 other placements, not on
    // every hit — the move (a Map delete and set) was ~7% of a cached answer's cost.
    if (this.placements - hit.at > this.files.size >> 1) {
      this.files.delete(key);
      this.place(key, hit);
    }
    return hit.body;
  }

  /**
   * A versioned file: from memory, or read from the store (small files are kept when the
   * version is listed). Large files come back as a stream with their size.
   */
  async file(module: string, version: string, ext: ProxyExt, state: ModuleListState | null): Promise<CachedBody | { size: number; stream: Readable } | null> {
    if (state) {
      const hit = this.cachedFile(module, version, ext, state);
      if (hit) return hit;
    }
    const f = await this.store.read(module, version, ext);
    if (!f) return null;
    if (f.size > this.maxEntryBytes) return { size: f.size, stream: f.body };
    const body = await readAll(f.body, f.size);
    if (body === null) return null;
    const entry = cachedBody(body, CONTENT_TYPES[ext], IMMUTABLE);
    // Only a listed version is kept, and only while this list is still the module's list.
    if (state && state.versions.has(version) && this.lists.get(module) === state) this.put(fileKey(module, version, ext), entry);
    return entry;
  }

  /** Forget a module (its list and every cached file of its versions). */
  invalidate(module: string): void {
    this.turnStamps.delete(module);
    this.dropModule(module);
  }

  /** For tests and metrics: how much is held. */
  stats(): { files: number; bytes: number; modules: number } {
    return { files: this.files.size, bytes: this.fileBytes, modules: this.lists.size };
  }

  private put(key: string, entry: CachedBody): void {
    const old = this.files.get(key);
    if (old) {
      this.files.delete(key);
      this.fileBytes -= old.body.body.length;
    }
    this.place(key, { body: entry, at: 0 });
    this.fileBytes += entry.body.length;
    for (const [k, v] of this.files) {
      if (this.fileBytes <= this.maxBytes) break;
      this.files.delete(k);
      this.fileBytes -= v.body.body.length;
    }
  }

  /** Put a file last in the order (most recent). */
  private place(key: string, e: { body: CachedBody; at: number }): void {
    e.at = ++this.placements;
    this.files.set(key, e);
  }

  private dropVersion(module: string, version: string): void {
    for (const ext of ['info', 'mod', 'zip'] as const) {
      const key = fileKey(module, version, ext);
      const e = this.files.get(key);
      if (e) {
        this.files.delete(key);
        this.fileBytes -= e.body.body.length;
      }
    }
  }

  private dropModule(module: string): void {
    const s = this.lists.get(module);
    if (!s) return;
    this.lists.delete(module);
    for (const v of s.versions) this.dropVersion(module, v);
  }
}

/** Newest version for @latest: the highest release if there is one, else the highest of all. */
export function latestVersion(versions: string[]): string | undefined {
  const releases = versions.filter((v) => !semverPrerelease(v));
  return [...(releases.length ? releases : versions)].sort(compareSemver).at(-1);
}

/** The cache's key of one versioned file. */
export const fileKey = (module: string, version: string, ext: ProxyExt) => `${module}@${version}.${ext}`;

/** The whole (small) body of a stream; null when it ended short or failed. */
async function readAll(body: Readable, size: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
    }
  } catch {
    return null;
  }
  return n === size ? Buffer.concat(chunks, n) : null;
}

/**
 * The store as the uploader, gc and Athens' routes see it: every write also invalidates the
 * module in the read cache, so this process never waits for a list stamp or TTL to see its
 * own writes (invariant 1, for stores without a cheap list stamp).
 */
export function observeWrites(store: ModuleStore, cache: ReadCache): ModuleStore {
  const after = async <T>(module: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } finally {
      cache.invalidate(module);
    }
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'store') return (module: string, version: string, files: Parameters<ModuleStore['store']>[2]) => after(module, target.store(module, version, files));
      if (prop === 'remove') return (module: string, version: string) => after(module, target.remove(module, version));
      if (prop === 'gcModule')
        return (module: string, choose: (versions: GcVersion[]) => GcPlan, dryRun: boolean) => after(module, target.gcModule(module, choose, dryRun));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
