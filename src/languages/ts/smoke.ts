import type { StateRecord } from '../../state/schema.js';
import type { LanguageContext, PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../types.js';
import { fetchPackument } from './npm.js';

/** `state check --registry`: each recorded version is in its packument with the recorded integrity. */
export async function servedTs(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]> {
  const registry = ctx.env.NPM_REGISTRY_URL!;
  return Promise.all(
    record.packages.map(async (pkg): Promise<SmokeCheck> => {
      const name = `${pkg.name}@${pkg.version} served`;
      try {
        const v = (await fetchPackument(registry, pkg.name, ctx.env.NPM_TOKEN))?.versions?.[pkg.version];
        if (!v) return { name, ok: false, detail: `not in the packument at ${registry}` };
        return { name, ok: v.dist?.integrity === pkg.digest, detail: v.dist?.integrity === pkg.digest ? undefined : `integrity ${v.dist?.integrity}` };
      } catch (err) {
        return { name, ok: false, detail: (err as Error).message };
      }
    }),
  );
}

/** Read each packument: version present, integrity as packed, dist-tag points at it, internal deps exact. */
export async function smokeTs(ctx: LanguageContext, plan: VersionPlan, outcome: PublishOutcome): Promise<SmokeReport> {
  const registry = ctx.env.NPM_REGISTRY_URL!;
  const distTag = ctx.config.ts?.distTag ?? ctx.config.distTag;
  const internal = new Map(plan.packages.map((p) => [p.name, p.version]));
  const checks: SmokeCheck[] = [];
  for (const pkg of outcome.packages) {
    const id = `${pkg.name}@${pkg.version}`;
    try {
      const doc = await fetchPackument(registry, pkg.name, ctx.env.NPM_TOKEN);
      const v = doc?.versions?.[pkg.version];
      checks.push({ name: `${id} exists`, ok: Boolean(v) });
      checks.push({ name: `${id} integrity`, ok: v?.dist?.integrity === pkg.digest, detail: `got ${v?.dist?.integrity}` });
      checks.push({ name: `${pkg.name} dist-tag ${distTag}`, ok: doc?.['dist-tags']?.[distTag] === pkg.version, detail: `points at ${doc?.['dist-tags']?.[distTag]}` });
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
        for (const [dep, range] of Object.entries(v?.[field] ?? {})) {
          const want = internal.get(dep);
          if (want) checks.push({ name: `${id} ${field}.${dep} exact`, ok: range === want, detail: `got ${range}, want ${want}` });
        }
      }
    } catch (err) {
      checks.push({ name: `${id} packument`, ok: false, detail: (err as Error).message });
    }
  }
  return { language: 'ts', ok: checks.every((c) => c.ok), checks };
}
