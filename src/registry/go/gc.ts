import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { isPseudoVersion } from '../../gomod/pseudo.js';
import { fsyncDir } from '../../util/atomic.js';
import type { RegistryMetrics } from '../metrics.js';
import { STAGING_DIR, type GoStorage } from './storage.js';
import { ownedName } from '../../util/owner.js';

/**
 * Retention for the Go registry storage (the old system's planned "periodic audit to cull unused pseudo-versions", docs/architecture.md §1).
 *
 * Invariants:
 *  - a version is removed only if it is a pseudo-version (tags only with includeTags), is
 *    not among the `keep` newest of its module (by `.info` Time), is older than `olderThan`
 *    when given, and is not pinned by a state record;
 *  - each module is planned and pruned under the same per-module lock the uploader holds
 *    while storing and rewriting `list`, so an upload racing gc is either seen by the plan
 *    or happens after the prune — never half-removed, never dropped from `list`;
 *  - removal runs in the reverse order of a store: `.info` first (the version leaves `list`
 *    and the @v protocol), then the Athens directory leaves by one rename, then the rest.
 *    A crash in between leaves a version Athens still serves and recovery re-completes, or
 *    stray files no reader counts as a version.
 */
export interface GcVersion {
  version: string;
  /** `.info` Time, ms since epoch (0 when unreadable: sorts oldest). */
  time: number;
  bytes: number;
}

export interface GcPolicy {
  keep: number;
  /** Only versions published before this instant may be removed. */
  olderThan?: number;
  includeTags: boolean;
  pinned: Set<string>;
}

export type KeepReason = 'newest' | 'pinned' | 'tagged' | 'recent';

export interface GcPlan {
  remove: GcVersion[];
  keep: (GcVersion & { reason: KeepReason })[];
}

/** Pure: which versions of one module go. */
export function planModuleGc(versions: GcVersion[], policy: GcPolicy): GcPlan {
  const newestFirst = [...versions].sort((a, b) => b.time - a.time || (a.version < b.version ? 1 : -1));
  const plan: GcPlan = { remove: [], keep: [] };
  // `keep` counts the versions gc would otherwise consider: pseudo-versions (and tags when included).
  let counted = 0;
  for (const v of newestFirst) {
    const tagged = !isPseudoVersion(v.version);
    if (tagged && !policy.includeTags) {
      plan.keep.push({ ...v, reason: 'tagged' });
      continue;
    }
    if (counted++ < policy.keep) plan.keep.push({ ...v, reason: 'newest' });
    else if (policy.pinned.has(v.version)) plan.keep.push({ ...v, reason: 'pinned' });
    else if (policy.olderThan !== undefined && v.time >= policy.olderThan) plan.keep.push({ ...v, reason: 'recent' });
    else plan.remove.push(v);
  }
  return plan;
}

const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30d`, `12h`, `2w` → milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

async function sizeOnce(paths: string[], seen: Set<string>): Promise<number> {
  let total = 0;
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) continue;
    // The @v files are hard links to the Athens files: count each inode once.
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    total += st.size;
  }
  return total;
}

/** Committed versions of one module, read from the Athens layout. Caller holds the lock. */
export async function moduleVersions(storage: GoStorage, module: string): Promise<GcVersion[]> {
  const dir = storage.athensDir(module, '');
  const out: GcVersion[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!isValidSemver(name) || canonicalSemver(name) !== name) continue;
    if (!(await storage.isCommitted(module, name))) continue;
    const athens = storage.athensDir(module, name);
    let time = 0;
    try {
      time = Date.parse((JSON.parse(await readFile(join(athens, `${name}.info`), 'utf8')) as { Time?: string }).Time ?? '') || 0;
    } catch {
      /* unreadable .info sorts oldest */
    }
    const seen = new Set<string>();
    const bytes = await sizeOnce(
      [join(athens, 'go.mod'), join(athens, 'source.zip'), join(athens, `${name}.info`), ...(['info', 'mod', 'zip'] as const).map((e) => storage.proxyFile(module, name, e))],
      seen,
    );
    out.push({ version: name, time, bytes });
  }
  return out;
}

/**
 * Remove one version from both layouts. Caller holds the module lock. Only the version's own
 * files go: a directory holding exactly the three Athens files leaves by one rename; one that
 * also holds something else (a module an older release nested inside it — Athens never
 * counted such a version) loses just its three files, so another module's data is never touched.
 */
export async function removeVersion(storage: GoStorage, module: string, version: string): Promise<void> {
  await rm(storage.proxyFile(module, version, 'info'), { force: true });
  await storage.rewriteList(module);
  const athens = storage.athensDir(module, version);
  const own = ['go.mod', 'source.zip', `${version}.info`];
  const names = await readdir(athens).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  if (names.length && names.every((n) => own.includes(n))) {
    const trash = join(storage.root, STAGING_DIR, ownedName());
    await rename(athens, trash).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsyncDir(join(athens, '..')).catch(() => {});
    await rm(trash, { recursive: true, force: true });
  } else {
    for (const n of own) await rm(join(athens, n), { force: true });
  }
  await rm(storage.proxyFile(module, version, 'mod'), { force: true });
  await rm(storage.proxyFile(module, version, 'zip'), { force: true });
}

export interface GcModuleReport {
  module: string;
  removed: GcVersion[];
  kept: (GcVersion & { reason: KeepReason })[];
  bytesFreed: number;
}

export interface GcOptions extends Omit<GcPolicy, 'pinned'> {
  /** module → pinned versions (from state records). */
  pinned: Map<string, Set<string>>;
  dryRun: boolean;
  /** Limit to these modules; default every module in storage. */
  modules?: string[];
  onModule?: (report: GcModuleReport) => void;
  /** Counts what a real (not dry) run removed; a gc inside `registry serve` shows on /metrics. */
  metrics?: Pick<RegistryMetrics, 'gcPruned'>;
}

export async function collectGarbage(storage: GoStorage, o: GcOptions): Promise<GcModuleReport[]> {
  await storage.init();
  const modules = o.modules ?? [...new Set((await storage.committedVersions()).map((c) => c.module))].sort();
  const reports: GcModuleReport[] = [];
  for (const module of modules) {
    const report = await storage.withModuleLock(module, async () => {
      const plan = planModuleGc(await moduleVersions(storage, module), { ...o, pinned: o.pinned.get(module) ?? new Set() });
      if (!o.dryRun) for (const v of plan.remove) await removeVersion(storage, module, v.version);
      return { module, removed: plan.remove, kept: plan.keep, bytesFreed: plan.remove.reduce((n, v) => n + v.bytes, 0) };
    });
    if (!o.dryRun) o.metrics?.gcPruned(report.removed.length, report.bytesFreed);
    o.onModule?.(report);
    reports.push(report);
  }
  return reports;
}
