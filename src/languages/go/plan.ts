import { join, relative } from 'node:path';
import { reachableTags, repoTopLevel } from '../../snapshot/git.js';
import type { Snapshot } from '../../snapshot/resolve.js';
import { usageError } from '../../util/errors.js';
import type { VersionPlan } from '../../model/packages.js';
import type { LanguageContext } from '../types.js';
import type { GoConfig } from './config.js';
import { readGoMod } from './read-gomod.js';
import { checkModulePath } from '../../gomod/module-path.js';
import { GO_OVERRIDE_VAR, goOverrideVersion, goSnapshotVersion } from './version.js';

/** Tags for a module in a sub-directory carry that directory as prefix (`sdk/go/v1.2.3`). */
async function moduleTags(root: string, moduleDir: string): Promise<string[]> {
  const top = (await repoTopLevel(root)) ?? root;
  const rel = relative(top, moduleDir).split('\\').join('/');
  const prefix = rel ? `${rel}/` : '';
  return (await reachableTags(root, `${prefix}v`)).map((t) => t.slice(prefix.length));
}

export async function planGo(ctx: LanguageContext<GoConfig>, snapshot: Snapshot): Promise<VersionPlan> {
  const cfg = ctx.section;
  const overrideRaw = ctx.env[GO_OVERRIDE_VAR];
  const packages = [];
  for (const m of cfg.modules) {
    const dir = join(ctx.root, m.dir);
    const { facts } = await readGoMod(dir, m.dir);
    const bad = checkModulePath(facts.module);
    if (bad) throw usageError(`${m.dir}/go.mod: module path "${facts.module}" is invalid: ${bad}`);
    let version: string;
    if (overrideRaw) version = goOverrideVersion(overrideRaw, facts.module);
    else {
      const tags = cfg.goBase === 'tags' ? await moduleTags(ctx.root, dir) : [];
      version = goSnapshotVersion(facts.module, snapshot, cfg.goBase, tags);
    }
    packages.push({ name: facts.module, dir, base: overrideRaw ? 'override' : cfg.goBase, version });
  }
  return { language: 'go', snapshot, override: overrideRaw ? packages[0]?.version : undefined, packages };
}
