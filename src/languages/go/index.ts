import { httpBase } from '../../util/url.js';
import type { Language } from '../types.js';
import { GoConfigSchema, type GoConfig } from './config.js';
import { GO_PUBLISH_ENV, GO_SMOKE_ENV, httpProxy } from './env.js';
import { planGo } from './plan.js';
import type { GoPublishDetails } from './publish.js';
import type { GoSmokeFlag } from './smoke.js';
import { validateGoPackage } from './version.js';

const INSTALL_GO = 'sudo apt-get install golang-go';

/** Go modules: uploaded to the module uploader, read through GOPROXY (docs/architecture.md §7). */
export const goLanguage: Language<GoConfig, GoPublishDetails, GoSmokeFlag, 'go'> = {
  id: 'go',
  title: 'Go',
  config: { schema: GoConfigSchema, state: { file: 'go.json', configMap: 'go-packages-state', key: 'ameide-sdk-go.json' } },
  publishEnv: GO_PUBLISH_ENV,
  smokeEnv: GO_SMOKE_ENV,
  record: { digest: { pattern: /^h1:[A-Za-z0-9+/]{43}=$/, description: 'an h1:' }, checkPackage: validateGoPackage },
  smokeFlags: [
    { key: 'withGo', flags: '--with-go', description: 'smoke Go modules with the real `go mod download` too (default when go is on PATH)' },
    { key: 'withGo', flags: '--no-with-go', description: 'do not run the real go during smoke' },
    { key: 'upstreamProbe', flags: '--upstream-probe <module@version>', description: 'Go smoke: fetch this upstream module twice through the proxy' },
  ],
  plan: planGo,
  async publish(ctx, plan, opts) {
    return (await import('./publish.js')).publishGo(ctx, plan, opts);
  },
  async smoke(ctx, plan, outcome, flags) {
    return (await import('./smoke.js')).smokeGo(ctx, plan, outcome, flags);
  },
  async served(ctx, record) {
    return (await import('./smoke.js')).servedGo(ctx, record);
  },
  async consume(record, env) {
    return (await import('./consume.js')).consumeGo(record, env, INSTALL_GO);
  },
  pin: {
    summary: 'go mod edit -require=<module>@<version> for each module (the real go), and drop\nreplace directives that point those modules at a local path',
    flags: [],
    async plan(record, dir) {
      return (await import('./pin.js')).planGoPin(record, dir);
    },
  },
  doctor: {
    probes(env) {
      const up = httpBase(env.GO_REGISTRY_URL);
      const proxy = httpProxy(env.GOPROXY);
      return [
        ...(up
          ? [
              { id: 'health.go-healthz', name: 'Go uploader /healthz', url: `${up}/healthz`, healthy: (s: number) => s === 200, fix: 'start the uploader (`ameide-pkg registry serve`) or fix GO_REGISTRY_URL' },
              { id: 'health.go-readyz', name: 'Go uploader /readyz', url: `${up}/readyz`, healthy: (s: number) => s === 200, fix: 'the storage is not writable: check the volume mount and permissions' },
            ]
          : []),
        ...(proxy ? [{ id: 'health.goproxy', name: 'GOPROXY', url: `${proxy}/`, healthy: (s: number) => s < 500, fix: 'start the proxy (Athens or `registry serve --read-api`) or fix GOPROXY' }] : []),
      ];
    },
    async latestRelease(name, env) {
      return (await import('./doctor.js')).latestGoRelease(name, env);
    },
    async sortsAfter(a, b) {
      return (await import('../../gomod/semver.js')).compareSemver(a, b) > 0;
    },
    raiseBase: () => 'tag the next version or set go.goBase to "tags" (pseudo-versions then build on the newest release)',
    needsHistory: (section) =>
      section.goBase === 'tags'
        ? 'go.goBase is "tags": the newest reachable vX.Y.Z tag is missing from a shallow clone, so Go snapshots would be based on the wrong release'
        : undefined,
    async extra(ctx) {
      return (await import('./doctor.js')).checkGoConsumerEnv(ctx);
    },
  },
  async toolchain() {
    const { onPath } = await import('../../util/path.js');
    // Publishing Go needs no go: the zip is built here. Smoke is weaker without it.
    return (await onPath('go')) ? {} : { degraded: `the real go is not installed, Go smoke checks the GOPROXY protocol only (${INSTALL_GO})` };
  },
  async devEnv(root, section) {
    const hosts = new Set((await (await import('./doctor.js')).modulePaths(root, section)).map((p) => p.split('/')[0]!));
    // The SDK modules' paths are private: go must not ask the checksum database about them.
    const env: Record<string, string> = {};
    if (hosts.size) env.GONOSUMDB = [...hosts].join(',');
    return env;
  },
};
