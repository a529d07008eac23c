import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEP_FIELDS } from './workspace.js';

/**
 * Rewrite a package.json for publishing: the snapshot version, and every dependency on an
 * internal package (including `workspace:` ranges) pinned to that package's exact snapshot
 * from the same run. Pure.
 */
export function rewriteManifest(
  manifest: Record<string, unknown>,
  version: string,
  internal: Map<string, string>,
): { manifest: Record<string, unknown>; rewritten: Record<string, string> } {
  const out: Record<string, unknown> = { ...manifest, version };
  const rewritten: Record<string, string> = {};
  for (const field of DEP_FIELDS) {
    const deps = manifest[field] as Record<string, string> | undefined;
    if (!deps) continue;
    const next: Record<string, string> = {};
    for (const [name, range] of Object.entries(deps)) {
      const snap = internal.get(name);
      next[name] = snap ?? range;
      if (snap) rewritten[`${field}.${name}`] = `${range} → ${snap}`;
    }
    out[field] = next;
  }
  delete out.workspaces;
  return { manifest: out, rewritten };
}

/** Copy the package to a temp dir (never touching the repo) with the rewritten manifest. */
export async function stagePackage(dir: string, manifest: Record<string, unknown>): Promise<string> {
  const stage = join(await mkdtemp(join(tmpdir(), 'ameide-npm-')), 'pkg');
  await cp(dir, stage, { recursive: true, filter: (src) => !/\/node_modules(\/|$)/.test(src.slice(dir.length)) });
  await writeFile(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  return stage;
}
