import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { usageError } from '../../util/errors.js';

/** A publishable `@scope/*` workspace package as found on disk. */
export interface WorkspacePackage {
  name: string;
  version: string;
  dir: string;
  manifest: Record<string, unknown>;
}

export const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'] as const;

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

/** Expand `packages/*`-style patterns (one `*` per segment, no `**`) to directories. */
async function expandPattern(root: string, pattern: string): Promise<string[]> {
  let dirs = [root];
  for (const seg of pattern.replace(/\/+$/, '').split('/')) {
    const next: string[] = [];
    for (const d of dirs) {
      if (!seg.includes('*')) {
        next.push(join(d, seg));
        continue;
      }
      const re = new RegExp('^' + seg.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
      let entries: string[] = [];
      try {
        entries = (await readdir(d, { withFileTypes: true })).filter((e) => e.isDirectory() && re.test(e.name) && e.name !== 'node_modules').map((e) => e.name);
      } catch {
        entries = [];
      }
      next.push(...entries.sort().map((e) => join(d, e)));
    }
    dirs = next;
  }
  return dirs;
}

async function workspacePatterns(root: string, configured: string[] | undefined): Promise<string[]> {
  if (configured) return configured;
  const rootPkg = await readJson(join(root, 'package.json')).catch(() => {
    throw usageError(`no package.json in ${root}: list the TypeScript packages in ts.packages of the config`);
  });
  const ws = rootPkg.workspaces;
  const list = Array.isArray(ws) ? ws : (ws as { packages?: unknown } | undefined)?.packages;
  if (!Array.isArray(list) || list.length === 0) {
    throw usageError('root package.json has no "workspaces": add them or list packages in ts.packages of the config');
  }
  return list.map(String);
}

/**
 * The scope's non-private workspace packages, ordered so that every package comes after the
 * internal packages it depends on (publish order: dependencies first).
 */
export async function discoverWorkspace(root: string, scope: string, configured?: string[]): Promise<WorkspacePackage[]> {
  const found: WorkspacePackage[] = [];
  const seen = new Set<string>();
  for (const pattern of await workspacePatterns(root, configured)) {
    for (const dir of await expandPattern(root, pattern)) {
      const manifestPath = join(dir, 'package.json');
      if (!(await stat(manifestPath).catch(() => null))) continue;
      const manifest = await readJson(manifestPath);
      const name = String(manifest.name ?? '');
      if (!name.startsWith(scope + '/') || manifest.private === true) continue;
      if (seen.has(name)) throw usageError(`two workspace packages are named ${name} (${relative(root, dir)})`);
      seen.add(name);
      found.push({ name, version: String(manifest.version ?? ''), dir, manifest });
    }
  }
  return topoSort(found);
}

/** Internal dependency names of a package (only those that are in `names`). */
export function internalDeps(manifest: Record<string, unknown>, names: Set<string>): string[] {
  const deps = new Set<string>();
  for (const f of DEP_FIELDS) {
    const m = manifest[f];
    if (m && typeof m === 'object') for (const k of Object.keys(m)) if (names.has(k)) deps.add(k);
  }
  return [...deps].sort();
}

export function topoSort(pkgs: WorkspacePackage[]): WorkspacePackage[] {
  const names = new Set(pkgs.map((p) => p.name));
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const out: WorkspacePackage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: WorkspacePackage, path: string[]) => {
    const s = state.get(p.name);
    if (s === 'done') return;
    if (s === 'visiting') throw usageError(`dependency cycle between workspace packages: ${[...path, p.name].join(' → ')}`);
    state.set(p.name, 'visiting');
    for (const d of internalDeps(p.manifest, names)) visit(byName.get(d)!, [...path, p.name]);
    state.set(p.name, 'done');
    out.push(p);
  };
  // Plain code-unit order: deterministic everywhere, and localeCompare's first call loads ICU (~10 ms of start-up).
  for (const p of [...pkgs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) visit(p, []);
  return out;
}
