import type { ModuleStore } from './backend.js';
import { planModuleGc, type GcModuleReport, type GcOptions } from './gc.js';

/**
 * gc over any module store: the same pure plan (planModuleGc) per module, applied by the store
 * — on disk under the uploader's module lock, on S3 by the store's removal protocol (.info
 * first; bodies through trash, put back if an upload re-commits the version meanwhile; crashed
 * uploads' orphaned bodies cleaned past the grace period).
 */
export async function collectGarbageIn(store: ModuleStore, o: GcOptions): Promise<GcModuleReport[]> {
  // S3: first finish removers that crashed (trash put back where a version needs it). On
  // disk gc needs no recovery of its own: the module lock covers each prune.
  if (store.kind === 's3') await store.recover();
  const modules = o.modules ?? (await store.modules());
  const reports: GcModuleReport[] = [];
  for (const module of modules) {
    const plan = await store.gcModule(module, (versions) => planModuleGc(versions, { ...o, pinned: o.pinned.get(module) ?? new Set() }), o.dryRun);
    const report = { module, removed: plan.remove, kept: plan.keep, bytesFreed: plan.remove.reduce((n, v) => n + v.bytes, 0) };
    if (!o.dryRun) o.metrics?.gcPruned(report.removed.length, report.bytesFreed);
    o.onModule?.(report);
    reports.push(report);
  }
  return reports;
}
