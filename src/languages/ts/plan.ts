import type { Snapshot } from '../../snapshot/resolve.js';
import type { LanguageContext, VersionPlan } from '../types.js';
import { TS_OVERRIDE_VAR, tsBaseVersion, tsOverrideVersion, tsSnapshotVersion } from './version.js';
import { discoverWorkspace } from './workspace.js';

export async function planTs(ctx: LanguageContext, snapshot: Snapshot): Promise<VersionPlan> {
  const cfg = ctx.config.ts!;
  const override = ctx.env[TS_OVERRIDE_VAR] ? tsOverrideVersion(ctx.env[TS_OVERRIDE_VAR]!) : undefined;
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
