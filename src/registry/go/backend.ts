import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { escapePath } from '../../gomod/escape.js';
import { usageError } from '../../util/errors.js';
import { moduleVersions, removeVersion, type GcPlan, type GcVersion } from './gc.js';
import { GoStorage, type StoreResult, type VersionFiles } from './storage.js';

/**
 * What the uploader, the read API, Athens' external-storage routes and gc need from a module
 * store, so one handler serves either backend:
 *  - disk: GoStorage, the Athens disk layout + a GOPROXY @v tree on one shared volume;
 *  - s3:   Athens' S3 layout in a bucket (./s3/store.ts), read by Athens' own S3 backend.
 * A store never makes a version visible before all of its bytes are in place, and answers
 * store() with created | identical | conflict (versions are immutable).
 */
export type ProxyExt = 'info' | 'mod' | 'zip';

export interface StoredFile {
  size: number;
  /** The caller consumes or destroys it. */
  body: Readable;
}

export interface ModuleStore {
  readonly kind: 'disk' | 's3';
  /** Where it is, for logs and /readyz (never credentials). */
  readonly location: string;
  /** Start-up: finish or undo what a crashed process left. */
  recover(): Promise<void>;
  /** What /readyz reports. */
  writable(): Promise<boolean>;
  /** A private local directory for one upload's zip; the caller removes it. */
  newStaging(): Promise<string>;
  store(module: string, version: string, files: VersionFiles): Promise<StoreResult>;
  /** Complete versions in Go's order; null when the module is unknown. */
  list(module: string): Promise<string[] | null>;
  read(module: string, version: string, ext: ProxyExt): Promise<StoredFile | null>;
  /** Every module holding at least one complete version. */
  modules(): Promise<string[]>;
  /**
   * Plan with `choose` over the module's complete versions (Time, bytes) and, unless dryRun,
   * remove what it picked — atomically with respect to uploads of the same store.
   */
  gcModule(module: string, choose: (versions: GcVersion[]) => GcPlan, dryRun: boolean): Promise<GcPlan>;
  /** Remove one version (Athens' .delete); false when it was not there. */
  remove(module: string, version: string): Promise<boolean>;
}

/**
 * GoStorage with the GOPROXY @v tree under its own root (--goproxy-root), so Athens' root
 * holds only the Athens layout: Athens' disk /catalog walks every *.info under its root and
 * would list the @v files as bogus modules. Everything else (locks, staging, recovery) is
 * GoStorage's, which finds the @v tree only through proxyDir().
 */
class SplitGoStorage extends GoStorage {
  constructor(
    root: string,
    readonly proxyRoot: string,
  ) {
    super(root);
  }
  override proxyDir(module: string): string {
    return join(this.proxyRoot, ...escapePath(module).split('/'), '@v');
  }
}

/** The existing disk storage behind the interface; GoStorage itself stays as it is. */
export class DiskModuleStore implements ModuleStore {
  readonly kind = 'disk';
  readonly keepsStagedZip = true;
  readonly storage: GoStorage;
  constructor(root: string, proxyRoot?: string) {
    this.storage = proxyRoot ? new SplitGoStorage(root, proxyRoot) : new GoStorage(root);
  }
  get location(): string {
    return this.storage.root;
  }
  /** For the uploader: scrubbed from messages to clients. */
  get root(): string {
    return this.storage.root;
  }
  async recover(): Promise<void> {
    await this.storage.recover();
  }
  writable(): Promise<boolean> {
    return this.storage.writable();
  }
  newStaging(): Promise<string> {
    return this.storage.newStaging();
  }
  store(module: string, version: string, files: VersionFiles): Promise<StoreResult> {
    return this.storage.store(module, version, files);
  }
  list(module: string): Promise<string[] | null> {
    return this.storage.list(module);
  }
  async read(module: string, version: string, ext: ProxyExt): Promise<StoredFile | null> {
    const path = this.storage.proxyFile(module, version, ext);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) return null;
    return { size: st.size, body: createReadStream(path) };
  }
  async modules(): Promise<string[]> {
    return [...new Set((await this.storage.committedVersions()).map((c) => c.module))].sort();
  }
  async gcModule(module: string, choose: (versions: GcVersion[]) => GcPlan, dryRun: boolean): Promise<GcPlan> {
    await this.storage.init();
    return this.storage.withModuleLock(module, async () => {
      const plan = choose(await moduleVersions(this.storage, module));
      if (!dryRun) for (const v of plan.remove) await removeVersion(this.storage, module, v.version);
      return plan;
    });
  }
  remove(module: string, version: string): Promise<boolean> {
    return this.storage.withModuleLock(module, async () => {
      const present = await this.storage.isCommitted(module, version);
      // Also clears @v leftovers of a half-removed version, so a retried delete converges.
      await removeVersion(this.storage, module, version);
      return present;
    });
  }
}

/** `--storage` as given: a directory, or s3://BUCKET[/PREFIX]. */
export type StorageSpec = { kind: 'disk'; root: string; proxyRoot?: string } | { kind: 's3'; bucket: string; prefix: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseStorageSpec(text: string, resolveDir: (p: string) => string): StorageSpec {
  if (!/^s3:\/\//i.test(text)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw usageError(`--storage ${text}: only a directory or s3://BUCKET[/PREFIX] is supported`);
    return { kind: 'disk', root: resolveDir(text) };
  }
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw usageError(`--storage ${text}: "${bucket}" is not a valid S3 bucket name (3-63 of a-z 0-9 . -)`);
  const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((seg) => seg === '.' || seg === '..') || /[\\\0]/.test(prefix)) {
    throw usageError(`--storage ${text}: the prefix must be plain path segments`);
  }
  return { kind: 's3', bucket, prefix: prefix ? prefix + '/' : '' };
}

export interface OpenOptions {
  /** --s3-path-style: path-style addressing (MinIO, Ceph, moto). */
  pathStyle?: boolean;
  /** --s3-single-writer: accept an endpoint that ignores If-None-Match (one writer only). */
  singleWriter?: boolean;
  /** S3: .zip/.mod without a .info younger than this count as an upload in progress. */
  orphanGraceMs?: number;
  log?: (line: string) => void;
}

/** Open a store; the AWS SDK is loaded only here, and only for s3://. */
export async function openModuleStore(spec: StorageSpec, o: OpenOptions = {}): Promise<ModuleStore> {
  if (spec.kind === 'disk') return new DiskModuleStore(spec.root, spec.proxyRoot);
  const { openS3ModuleStore } = await import('./s3/open.js');
  return openS3ModuleStore({ bucket: spec.bucket, prefix: spec.prefix, pathStyle: Boolean(o.pathStyle), singleWriter: Boolean(o.singleWriter), log: o.log, store: { orphanGraceMs: o.orphanGraceMs } });
}

/** Versions in a directory listing that are canonical Go versions (shared by both backends). */
export function canonicalVersionsOnly(names: string[]): string[] {
  return names.filter((v) => isValidSemver(v) && canonicalSemver(v) === v);
}
