import { readEnv } from '../../config/env.js';
import type { PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../../model/packages.js';
import type { StateRecord } from '../../model/record.js';
import type { LanguageContext } from '../types.js';
import type { TsConfig } from './config.js';
import { TS_SMOKE_ENV } from './env.js';
import { fetchPackument } from './npm.js';

/** `state check --registry`: each recorded version is in its packument with the recorded integrity. */
export async function servedTs(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]> {
  const { NPM_REGISTRY_URL: registry, NPM_TOKEN: token } = readEnv(TS_SMOKE_ENV, ctx.env, 'ts smoke');
  return Promise.all(
    record.packages.map(async (pkg): Promise<SmokeCheck> => {
      const name = `${pkg.name}@${pkg.version} served`;
      try {
        const v = (await fetchPackument(registry, pkg.name, token))?.versions?.[pkg.version];
        if (!v) return { name, ok: false, detail: `not in the packument at ${registry}` };
        return { name, ok: v.dist?.integrity === pkg.digest, detail: v.dist?.integrity === pkg.digest ? undefined : `integrity ${v.dist?.integrity}` };
      } catch (err) {
        return { name, ok: false, detail: (err as Error).message };
      }
    }),
  );
}

/** Read each packument: version present, integrity as packed, dist-tag points at it, internal deps exact. */
export async function smokeTs(ctx: LanguageContext<TsConfig>, plan: VersionPlan, outcome: PublishOutcome): Promise<SmokeReport> {
  const { NPM_REGISTRY_URL: registry, NPM_TOKEN: token } = readEnv(TS_SMOKE_ENV, ctx.env, 'ts smoke');
  const distTag = ctx.section.distTag ?? ctx.config.distTag;
  const internal = new Map(plan.packages.map((p) => [p.name, p.version]));
  const checks: SmokeCheck[] = [];
  for (const pkg of outcome.packages) {
    const id = `${pkg.name}@${pkg.version}`;
    try {
      const doc = await fetchPackument(registry, pkg.name, token);
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
