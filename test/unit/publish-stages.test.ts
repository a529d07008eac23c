import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/languages/index.js';
import type { Config } from '../../src/config/schema.js';
import type { Language, PublishOptions } from '../../src/languages/types.js';
import type { SmokeReport, VersionPlan } from '../../src/model/packages.js';
import { runPublish, type PublishRunOptions, type StageListener } from '../../src/publish/run.js';
import type { Snapshot } from '../../src/snapshot/resolve.js';
import { Output } from '../../src/util/log.js';
import { EXAMPLE, scratchDirs } from '../helpers/repo.js';

/**
 * The stages the runner reports, in order, for the outcomes a run can have. The language here
 * is a stand-in that reports its steps as the real ones do; what is under test is the runner.
 */
const { tmp } = scratchDirs();
const snapshot: Snapshot = { timestamp: '20251106083012', gitSha: '0123456789ab', time: '2025-11-06T08:30:12Z', timeSource: 'commit', dirty: false, shaSource: 'git' };
let config: Config;
beforeAll(async () => {
  config = (await loadConfig(EXAMPLE, configSchema())).config;
});

function language(o: { smoke?: boolean; publishFails?: boolean } = {}): Language {
  return {
    id: 'go',
    publishEnv: [],
    smokeEnv: [],
    smokeFlags: [],
    plan: async () => ({ language: 'go', snapshot, packages: [{ name: 'example.com/m', version: 'v0.0.0-20251106083012-0123456789ab', dir: '/x', base: 'v0.0.0' }] }),
    publish: async (_ctx: unknown, plan: VersionPlan, opts: PublishOptions) => {
      opts.onStep?.('build', 'module zip');
      opts.onStep?.('upload', 'example.com/m');
      if (o.publishFails) throw new Error('registry answered 409\nsecond line');
      return { language: 'go', registry: 'http://r', packages: plan.packages.map((p) => ({ name: p.name, version: p.version, digest: 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', status: opts.dryRun ? 'dry-run' : 'published' })) };
    },
    smoke: async (): Promise<SmokeReport> => ({ language: 'go', ok: o.smoke ?? true, checks: [{ name: 'served', ok: o.smoke ?? true }] }),
    served: async () => [],
  } as unknown as Language;
}

async function stages(lang: Language, over: Partial<PublishRunOptions> = {}) {
  const seen: string[] = [];
  const onStage: StageListener = (l, s, d) => seen.push(`${l}:${s}${d ? ` (${d})` : ''}`);
  const root = tmp('stages-');
  const [run] = await runPublish({ root, config, env: {}, out: new Output({ json: true, color: false, quiet: true }), snapshot, languages: [lang], dryRun: false, smoke: true, smokeFlags: {}, onStage, ...over });
  return { seen, run: run!, root };
}

describe('publish runner: onStage', () => {
  it('a published language goes plan → build → upload → smoke → state → done', async () => {
    const { seen, run, root } = await stages(language());
    expect(run.ok, run.error).toBe(true);
    expect(seen).toEqual([
      'go:plan',
      'go:build (example.com/m@v0.0.0-20251106083012-0123456789ab)',
      'go:build (module zip)',
      'go:upload (example.com/m)',
      'go:smoke (through the consumer path (1 package))',
      'go:state (tmp/tilt-packages/go.json)',
      'go:done (1 published)',
    ]);
    expect(existsSync(join(root, 'tmp/tilt-packages/go.json'))).toBe(true);
  });

  it('a failed smoke ends in failed, never reaches state, and LanguageRun.stage stays the --json word', async () => {
    const { seen, run, root } = await stages(language({ smoke: false }));
    expect(seen.map((s) => s.replace(/ \(.*/, ''))).toEqual(['go:plan', 'go:build', 'go:build', 'go:upload', 'go:smoke', 'go:failed']);
    expect(seen.at(-1)).toBe('go:failed (go smoke failed: served)');
    expect(run.stage).toBe('smoke');
    expect(existsSync(join(root, 'tmp/tilt-packages/go.json'))).toBe(false);
  });

  it('a dry run stops after build; a failed publish reports the error; a throwing listener changes nothing', async () => {
    expect((await stages(language(), { dryRun: true })).seen.slice(-1)).toEqual(['go:done (dry run: 1 would be published)']);
    const failed = await stages(language({ publishFails: true }));
    expect(failed.run.stage).toBe('publish');
    expect(failed.seen.at(-1)).toBe('go:failed (registry answered 409\nsecond line)');
    const { run } = await stages(language(), {
      onStage: () => {
        throw new Error('terminal went away');
      },
    });
    expect(run.ok, run.error).toBe(true);
  });
});
