import { httpBase } from '../../util/url.js';
import type { Language } from '../types.js';
import { TsConfigSchema, type TsConfig } from './config.js';
import { TS_PUBLISH_ENV, TS_SMOKE_ENV } from './env.js';
import { planTs } from './plan.js';
import type { TsPublishDetails } from './publish.js';
import { validateTsPackage } from './version.js';

/** npm packages of the workspace: published with the real npm, read back from the registry. */
export const tsLanguage: Language<TsConfig, TsPublishDetails, never, 'ts'> = {
  id: 'ts',
  title: 'TypeScript',
  config: { schema: TsConfigSchema, state: { file: 'ts.json', configMap: 'ts-packages-state', key: 'ts.json' } },
  publishEnv: TS_PUBLISH_ENV,
  smokeEnv: TS_SMOKE_ENV,
  record: { digest: { pattern: /^(sha512-[A-Za-z0-9+/]{86}==|sha1-[A-Za-z0-9+/]{27}=)$/, description: 'a sha512- (or sha1-) integrity' }, checkPackage: validateTsPackage },
  smokeFlags: [],
  plan: planTs,
  async publish(ctx, plan, opts) {
    return (await import('./publish.js')).publishTs(ctx, plan, opts);
  },
  async smoke(ctx, plan, outcome) {
    return (await import('./smoke.js')).smokeTs(ctx, plan, outcome);
  },
  async served(ctx, record) {
    return (await import('./smoke.js')).servedTs(ctx, record);
  },
  async consume(record, env) {
    return (await import('./consume.js')).consumeTs(record, env);
  },
  pin: {
    summary: "exact versions in the consumer's package.json (added to dependencies if absent)",
    flags: [],
    async plan(record, dir) {
      return (await import('./pin.js')).planTsPin(record, dir);
    },
  },
  doctor: {
    probes(env) {
      const npm = httpBase(env.NPM_REGISTRY_URL);
      return npm ? [{ id: 'health.npm', name: 'npm registry ping', url: `${npm}/-/ping`, healthy: (s: number) => s === 200, fix: 'start the registry (Verdaccio) or fix NPM_REGISTRY_URL' }] : [];
    },
    async latestRelease(name, env) {
      if (!env.NPM_REGISTRY_URL) return null;
      const { fetchPackument } = await import('./npm.js');
      const semver = (await import('semver')).default;
      const doc = await fetchPackument(env.NPM_REGISTRY_URL, name, env.NPM_TOKEN);
      const releases = Object.keys(doc?.versions ?? {}).filter((v) => semver.valid(v) && !semver.prerelease(v));
      return releases.sort(semver.compare).at(-1) ?? null;
    },
    async sortsAfter(a, b) {
      return (await import('semver')).default.gt(a, b);
    },
    raiseBase: (latest) => `raise the base version above ${latest} in the package manifest`,
    needsHistory: () => undefined,
    extra: async () => [],
  },
  async toolchain() {
    const { onPath } = await import('../../util/path.js');
    return (await onPath('npm')) ? {} : { missing: 'npm is not on PATH: install Node.js with npm' };
  },
  devEnv: async () => ({}),
};
