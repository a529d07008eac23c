import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { configSchema, recordRules } from '../../src/languages/index.js';
import type { ConfigMapClient } from '../../src/kube/configmaps.js';
import type { Language, PublishOptions } from '../../src/languages/types.js';
import type { LanguageId, SmokeReport, VersionPlan } from '../../src/model/packages.js';
import { publishPipeline, type PipelineOptions } from '../../src/publish/pipeline.js';
import type { Snapshot } from '../../src/snapshot/resolve.js';
import { stateRecordSchema } from '../../src/state/schema.js';
import { CliError } from '../../src/util/errors.js';
import { Output } from '../../src/util/log.js';
import { EXAMPLE, scratchDirs } from '../helpers/repo.js';

/**
 * The pipeline's order and policy — check → publish → smoke → record → push → report — with
 * stand-in languages and an in-memory ConfigMap client, so no network. What is under test is
 * the pipeline; runLanguage's own stages are covered in publish-stages.test.ts.
 */
const { tmp } = scratchDirs();
const StateRecordSchema = stateRecordSchema(recordRules());
const snapshot: Snapshot = { timestamp: '20251106083012', gitSha: '0123456789ab', time: '2025-11-06T08:30:12Z', timeSource: 'commit', dirty: false, shaSource: 'git' };
let config: Config;
beforeAll(async () => {
  config = (await loadConfig(EXAMPLE, configSchema())).config;
});

/** Names, versions and digests each ecosystem's record rules accept. */
const PACKAGES: Record<'ts' | 'python' | 'go', { name: string; version: string; digest: string }> = {
  ts: { name: '@ameide/sdk', version: '0.0.0-20251106083012-0123456789ab', digest: 'sha512-' + 'A'.repeat(86) + '==' },
  python: { name: 'ameide-sdk', version: '0.1.0.dev20251106083012', digest: 'sha256:' + '0'.repeat(64) },
  go: { name: 'go.packages.example/ameide-sdk-go', version: 'v0.0.0-20251106083012-0123456789ab', digest: 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' },
};

interface World {
  events: string[];
  root: string;
  writes: string[];
  opened: number;
}

function fakeLanguage(w: World, id: keyof typeof PACKAGES, o: { publishFails?: boolean; smokeFails?: boolean; env?: string } = {}): Language {
  const pkg = PACKAGES[id];
  return {
    id,
    publishEnv: o.env ? [{ name: o.env, kind: 'text', required: true, purpose: 'test' }] : [],
    smokeEnv: [],
    smokeFlags: [],
    plan: async () => ({ language: id, snapshot, packages: [{ name: pkg.name, version: pkg.version, dir: '/x', base: '0.0.0' }] }),
    publish: async (_ctx: unknown, plan: VersionPlan, opts: PublishOptions) => {
      w.events.push(`${id}:publish`);
      if (o.publishFails) throw new Error(`${id} registry answered 500`);
      return { language: id, registry: 'http://registry.test', packages: plan.packages.map((p) => ({ ...pkg, name: p.name, status: opts.dryRun ? 'dry-run' : 'published' })) };
    },
    smoke: async (): Promise<SmokeReport> => {
      w.events.push(`${id}:smoke`);
      return { language: id, ok: !o.smokeFails, checks: [{ name: 'installable', ok: !o.smokeFails }] };
    },
    served: async () => [],
  } as unknown as Language;
}

/** A cluster that keeps ConfigMaps in memory and logs every write. */
function memoryCluster(w: World): PipelineOptions['openCluster'] {
  const maps = new Map<string, Record<string, string>>();
  const client: ConfigMapClient = {
    target: { namespace: 'ameide', namespaceSource: 'config', server: 'memory://', context: 'test' },
    read: async (name) => (maps.has(name) ? { data: { ...maps.get(name) } } : null),
    writeKey: async (name, key, value) => {
      w.events.push(`push:${name}/${key}`);
      w.writes.push(`${name}/${key}`);
      const had = maps.has(name);
      maps.set(name, { ...maps.get(name), [key]: value });
      return had ? 'patched' : 'created';
    },
  };
  return async () => {
    w.opened++;
    return client;
  };
}

function world(): World {
  return { events: [], root: tmp('pipeline-'), writes: [], opened: 0 };
}

/** Env in which a cluster is (KUBECONFIG names a file) or is not configured. */
function clusterEnv(configured: boolean): NodeJS.ProcessEnv {
  const home = tmp('home-');
  if (!configured) return { HOME: home };
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  return { HOME: home, KUBECONFIG: kubeconfig };
}

function run(w: World, languages: Language[], over: Partial<PipelineOptions> = {}) {
  const stages: string[] = [];
  const result = publishPipeline({
    root: w.root,
    config,
    env: clusterEnv(true),
    out: new Output({ json: true, color: false, quiet: true }),
    snapshot,
    languages,
    dryRun: false,
    smoke: true,
    smokeFlags: {},
    openCluster: memoryCluster(w),
    onStage: (l, s, d) => stages.push(`${l}:${s}${d ? ` (${d})` : ''}`),
    ...over,
  });
  return { result, stages };
}

const stateFile = (w: World, id: LanguageId) => join(w.root, 'tmp/tilt-packages', `${id}.json`);

describe('publish pipeline', () => {
  it('records every language, then pushes each recorded state to its own key, and reports it', async () => {
    const w = world();
    const { result, stages } = run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go')]);
    const report = await result;
    expect(report.exitCode, JSON.stringify(report.runs)).toBe(0);
    // Nothing is pushed before every language has written its state.
    const firstPush = w.events.findIndex((e) => e.startsWith('push:'));
    expect(firstPush).toBeGreaterThan(w.events.lastIndexOf('go:smoke'));
    expect(firstPush).toBeGreaterThan(w.events.lastIndexOf('ts:smoke'));
    expect(w.writes.sort()).toEqual(['go-packages-state/ameide-sdk-go.json', 'ts-packages-state/ts.json']);
    expect(report.push).toMatchObject({ kind: 'pushed', cluster: 'KUBECONFIG', languages: { ts: { done: 'created' }, go: { done: 'created' } } });
    // The push is reported through the same stage callback: push, then done with where it went.
    expect(stages.filter((s) => s.startsWith('go:')).slice(-3)).toEqual(['go:done (1 published)', 'go:push', 'go:done (go-packages-state (created))']);
    for (const id of ['ts', 'go'] as const) expect(StateRecordSchema.safeParse(JSON.parse(readFileSync(stateFile(w, id), 'utf8'))).success).toBe(true);
  });

  it('a smoke failure writes no state file and pushes nothing for that language; the run exits 1', async () => {
    const w = world();
    const report = await run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go', { smokeFails: true })]).result;
    expect(existsSync(stateFile(w, 'go'))).toBe(false);
    expect(existsSync(stateFile(w, 'ts'))).toBe(true);
    expect(w.writes).toEqual(['ts-packages-state/ts.json']);
    expect(report.push.kind === 'pushed' && Object.keys(report.push.languages)).toEqual(['ts']);
    expect([report.ok, report.exitCode]).toEqual([false, 1]);
    expect(report.runs.find((r) => r.language === 'go')).toMatchObject({ ok: false, stage: 'smoke' });
  });

  it('when every language fails, no cluster is even opened', async () => {
    const w = world();
    const report = await run(w, [fakeLanguage(w, 'go', { smokeFails: true })]).result;
    expect(w.opened).toBe(0);
    expect(report.push).toEqual({ kind: 'skipped', reason: 'nothing-recorded' });
  });

  it('a publish failure in one language does not stop the others', async () => {
    const w = world();
    const report = await run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'python', { publishFails: true }), fakeLanguage(w, 'go')]).result;
    expect(report.runs.map((r) => [r.language, r.ok, r.stage])).toEqual([
      ['ts', true, 'done'],
      ['python', false, 'publish'],
      ['go', true, 'done'],
    ]);
    expect(w.events).toContain('ts:smoke');
    expect(w.events).toContain('go:smoke');
    expect(w.events).not.toContain('python:smoke');
    expect(existsSync(stateFile(w, 'python'))).toBe(false);
    expect(w.writes.sort()).toEqual(['go-packages-state/ameide-sdk-go.json', 'ts-packages-state/ts.json']);
    expect(report.exitCode).toBe(1);
  });

  it('--push without a cluster fails (exit 2) before any language publishes or the snapshot is resolved', async () => {
    const w = world();
    let resolved = false;
    const { result } = run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go')], {
      env: clusterEnv(false),
      push: true,
      snapshot: async () => {
        resolved = true;
        return snapshot;
      },
    });
    const err = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/^--push: no cluster configured/);
    expect(w.events).toEqual([]);
    expect(resolved).toBe(false);
  });

  it('missing publish env is a usage error before anything publishes', async () => {
    const w = world();
    const err = await run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go', { env: 'GO_TEST_REGISTRY' })]).result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toContain('GO_TEST_REGISTRY');
    expect(w.events).toEqual([]);
  });

  it('a dry run publishes nothing for real, records nothing and pushes nothing, even with --push and a cluster', async () => {
    const w = world();
    const report = await run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go', { env: 'GO_TEST_REGISTRY' })], { dryRun: true, push: true }).result;
    expect(report).toMatchObject({ ok: true, dryRun: true, exitCode: 0, push: { kind: 'skipped', reason: 'dry-run' } });
    expect(w.opened).toBe(0);
    expect(w.writes).toEqual([]);
    expect(w.events.sort()).toEqual(['go:publish', 'ts:publish']);
    expect(existsSync(join(w.root, 'tmp'))).toBe(false);
  });

  it('--no-push records without opening the cluster; no cluster in auto mode is the note case', async () => {
    const w = world();
    const off = await run(w, [fakeLanguage(w, 'go')], { push: false }).result;
    expect(off.push).toEqual({ kind: 'skipped', reason: 'disabled' });
    const auto = await run(w, [fakeLanguage(w, 'go')], { env: clusterEnv(false) }).result;
    expect(auto.push).toEqual({ kind: 'skipped', reason: 'no-cluster' });
    expect(w.opened).toBe(0);
    expect(existsSync(stateFile(w, 'go'))).toBe(true);
  });

  it('an unreachable cluster fails every recorded language’s push (exit 1), never the run itself', async () => {
    const w = world();
    const { result, stages } = run(w, [fakeLanguage(w, 'ts'), fakeLanguage(w, 'go')], {
      openCluster: async () => {
        throw new Error('kube: cannot reach the API server https://10.0.0.1:6443');
      },
    });
    const report = await result;
    expect(report.runs.every((r) => r.ok)).toBe(true);
    expect(report.push).toEqual({
      kind: 'pushed',
      cluster: 'KUBECONFIG',
      error: 'kube: cannot reach the API server https://10.0.0.1:6443',
      languages: { ts: { error: 'kube: cannot reach the API server https://10.0.0.1:6443' }, go: { error: 'kube: cannot reach the API server https://10.0.0.1:6443' } },
    });
    expect(report.exitCode).toBe(1);
    expect(stages.at(-1)).toMatch(/^(ts|go):failed \(kube: cannot reach/);
  });

  it('appends the summary to GITHUB_STEP_SUMMARY unless told not to; an unwritable one fails nothing', async () => {
    const w = world();
    const summary = join(tmp('summary-'), 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    await run(w, [fakeLanguage(w, 'go')], { env: { ...clusterEnv(false), GITHUB_STEP_SUMMARY: summary } }).result;
    expect(readFileSync(summary, 'utf8')).toMatch(/^# earlier step\n### ameide-pkg publish 20251106083012 0123456789ab\n\n\| LANG \| PACKAGE/);
    const before = readFileSync(summary, 'utf8');
    await run(w, [fakeLanguage(w, 'go')], { env: { ...clusterEnv(false), GITHUB_STEP_SUMMARY: summary }, stepSummary: false }).result;
    expect(readFileSync(summary, 'utf8')).toBe(before);
    const bad = await run(w, [fakeLanguage(w, 'go')], { env: { ...clusterEnv(false), GITHUB_STEP_SUMMARY: join(w.root, 'no/such/dir/summary.md') } }).result;
    expect(bad.exitCode).toBe(0);
  });
});
