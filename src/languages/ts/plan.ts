import type { Snapshot } from '../../snapshot/resolve.js';
import type { VersionPlan } from '../../model/packages.js';
import type { LanguageContext } from '../types.js';
import type { TsConfig } from './config.js';
import { TS_OVERRIDE_VAR, tsBaseVersion, tsOverrideVersion, tsSnapshotVersion } from './version.js';
import { discoverWorkspace } from './workspace.js';

export async function planTs(ctx: LanguageContext<TsConfig>, snapshot: Snapshot): Promise<VersionPlan> {
  const cfg = ctx.section;
  const overrideRaw = ctx.env[TS_OVERRIDE_VAR];
  const override = overrideRaw ? tsOverrideVersion(overrideRaw) : undefined;
  const pkgs = await discoverWorkspace(ctx.root, cfg.scope, cfg.packages);
  return {
    language: 'ts',
    snapshot,
    override,
    packages: pkgs.map((p) => {
      const base = tsBaseVersion(p.version, p.name);
      return { name: p.name, dir: p.dir, base: override ? 'override' : base, version: override ?? tsSnapshotVersion(base, snapshot) };
    }),
  };
}
