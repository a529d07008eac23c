import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/languages/index.js';
import type { Config } from '../../src/config/schema.js';
import type { Language, PublishOptions } from '../../src/languages/types.js';
import type { PublishOutcome, SmokeReport, VersionPlan } from '../../src/model/packages.js';
import { runLanguage, runPublish, type PublishRunOptions } from '../../src/publish/run.js';
import type { Snapshot } from '../../src/snapshot/resolve.js';
import { CliError, EXIT, usageError } from '../../src/util/errors.js';
import { Output } from '../../src/util/log.js';
import { EXAMPLE, scratchDirs } from '../helpers/repo.js';

/**
 * runLanguage's promise (docs/architecture.md §2): plan → publish → smoke → state, strictly in
 * that order, and a language whose plan, publish or smoke failed — or that only dry-ran —
 * writes no state: no new file, and an earlier run's file left byte for byte. The languages
 * here are fakes that record what the runner asked of them; what is under test is the runner.
 */
const { tmp } = scratchDirs();
const snapshot: Snapshot = { timestamp: '20251106083012', gitSha: '0123456789ab', time: '2025-11-06T08:30:12Z', timeSource: 'commit', dirty: false, shaSource: 'git' };
const MOD = 'example.com/m';
const VERSION = 'v0.0.0-20251106083012-0123456789ab';
const H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const NOW = new Date('2025-11-06T08:31:00.123Z');
/** A record an earlier run left: a failed run must not touch it. */
const EARLIER = '{"earlier":"run"}\n';

let config: Config;
beforeAll(async () => {
  config = (await loadConfig(EXAMPLE, configSchema())).config;
});

type Fail = 'plan' | 'publish' | 'smoke' | 'smoke-throws' | 'none';
interface Fake {
  lang: Language;
  calls: string[];
  publishOpts?: PublishOptions;
  smokeOpts?: Record<string, unknown>;
}

function fake(o: { fail?: Fail; error?: Error; outcome?: Partial<PublishOutcome> } = {}): Fake {
  const f: Fake = { calls: [], lang: undefined as unknown as Language };
  const fail = o.fail ?? 'none';
  const boom = (stage: Fail) => {
    if (fail === stage) throw o.error ?? new Error(`${stage} broke`);
  };
  f.lang = {
    id: 'go',
    publishEnv: [],
    smokeEnv: [],
    smokeFlags: [{ key: 'withGo', flags: '--with-go', description: 'the real go' }],
    plan: async (): Promise<VersionPlan> => {
      f.calls.push('plan');
      boom('plan');
      return { language: 'go', snapshot, packages: [{ name: MOD, version: VERSION, dir: '/nowhere', base: 'v0.0.0' }] };
    },
    publish: async (_ctx: unknown, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome> => {
      f.calls.push('publish');
      f.publishOpts = opts;
      boom('publish');
      return { language: 'go', registry: 'http://registry.invalid', packages: plan.packages.map((p) => ({ name: p.name, version: p.version, digest: H1, status: opts.dryRun ? 'dry-run' : 'published' })), ...o.outcome };
    },
    smoke: async (_ctx: unknown, _plan: VersionPlan, _out: PublishOutcome, opts: Record<string, unknown>): Promise<SmokeReport> => {
      f.calls.push('smoke');
      f.smokeOpts = opts;
      boom('smoke-throws');
      const ok = fail !== 'smoke';
      return { language: 'go', ok, checks: [{ name: 'listed', ok: true }, { name: '.zip h1', ok, detail: ok ? undefined : 'got h1:X, want h1:Y' }, { name: 'go mod download', ok }] };
    },
    served: async () => [],
  } as unknown as Language;
  return f;
}

/** A repo root; with `earlier`, a state file from a previous run is already there. */
function root(earlier = false): string {
  const dir = tmp('publish-run-');
  if (earlier) {
    mkdirSync(join(dir, 'tmp/tilt-packages'), { recursive: true });
    writeFileSync(join(dir, 'tmp/tilt-packages/go.json'), EARLIER);
  }
  return dir;
}

function options(dir: string, over: Partial<PublishRunOptions> = {}): PublishRunOptions {
  return { root: dir, config, env: {}, out: new Output({ json: true, color: false, quiet: true }), snapshot, languages: [], dryRun: false, smoke: true, smokeFlags: { withGo: false, upstreamProbe: 'not this language\'s flag' }, now: () => NOW, ...over };
}

const stateFile = (dir: string) => join(dir, 'tmp/tilt-packages/go.json');

describe('runLanguage: state is written only after publish and smoke succeeded', () => {
  it('success: calls plan → publish → smoke once each, then writes the record (publishedAt from `now`, no millis)', async () => {
    const f = fake();
    const dir = root(true);
    const run = await runLanguage(f.lang, options(dir));
    expect(run).toMatchObject({ language: 'go', ok: true, stage: 'done', stateFile: stateFile(dir) });
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBeUndefined();
    expect(f.calls).toEqual(['plan', 'publish', 'smoke']);
    // Publish is told only what it acts on (dryRun); whether smoke follows is the runner's business.
    expect(f.publishOpts).toMatchObject({ dryRun: false });
    expect(f.publishOpts).not.toHaveProperty('smoke');
    // The runner hands the language its own smoke flags, and only those.
    expect(f.smokeOpts).toEqual({ withGo: false });
    const written = JSON.parse(readFileSync(stateFile(dir), 'utf8'));
    expect(written).toEqual({
      schemaVersion: 1,
      language: 'go',
      version: VERSION,
      timestamp: snapshot.timestamp,
      gitSha: snapshot.gitSha,
      publishedAt: '2025-11-06T08:31:00Z',
      registry: 'http://registry.invalid',
      packages: [{ name: MOD, version: VERSION, digest: H1 }],
    });
    expect(run.record).toEqual(written);
  });

  it('a smoke that reports failure: exit 1, stage smoke, the message names only the failed checks; no state, the earlier file untouched', async () => {
    for (const earlier of [false, true]) {
      const f = fake({ fail: 'smoke' });
      const dir = root(earlier);
      const run = await runLanguage(f.lang, options(dir));
      expect(run).toMatchObject({ ok: false, stage: 'smoke', exitCode: EXIT.failure });
      expect(run.error).toBe('go smoke failed: .zip h1 (got h1:X, want h1:Y); go mod download');
      expect(run.stateFile).toBeUndefined();
      expect(run.record).toBeUndefined();
      if (earlier) expect(readFileSync(stateFile(dir), 'utf8')).toBe(EARLIER);
      else expect(existsSync(join(dir, 'tmp'))).toBe(false);
    }
  });

  it('a smoke that throws is a failure like any other: exit 1, no state', async () => {
    const dir = root(true);
    const run = await runLanguage(fake({ fail: 'smoke-throws', error: new Error('GOPROXY unreachable') }).lang, options(dir));
    expect(run).toMatchObject({ ok: false, stage: 'smoke', exitCode: EXIT.failure, error: 'GOPROXY unreachable' });
    expect(readFileSync(stateFile(dir), 'utf8')).toBe(EARLIER);
  });

  it('a publish failure: exit 1, stage publish, smoke never runs, no state', async () => {
    const f = fake({ fail: 'publish', error: new Error('registry answered 409: version exists with other bytes') });
    const dir = root(true);
    const run = await runLanguage(f.lang, options(dir));
    expect(run).toMatchObject({ ok: false, stage: 'publish', exitCode: EXIT.failure, error: 'registry answered 409: version exists with other bytes' });
    expect(run.outcome).toBeUndefined();
    expect(f.calls).toEqual(['plan', 'publish']);
    expect(readFileSync(stateFile(dir), 'utf8')).toBe(EARLIER);
  });

  it('a dry run: publish is told dryRun, smoke never runs, ok with no state file even with smoke on', async () => {
    const f = fake();
    for (const earlier of [false, true]) {
      const dir = root(earlier);
      const run = await runLanguage(f.lang, options(dir, { dryRun: true, smoke: true }));
      expect(run).toMatchObject({ ok: true, stage: 'done' });
      expect(run.stateFile).toBeUndefined();
      expect(run.outcome?.packages.map((p) => p.status)).toEqual(['dry-run']);
      if (earlier) expect(readFileSync(stateFile(dir), 'utf8')).toBe(EARLIER);
      else expect(existsSync(join(dir, 'tmp'))).toBe(false);
    }
    expect(f.calls).toEqual(['plan', 'publish', 'plan', 'publish']);
    expect(f.publishOpts).toMatchObject({ dryRun: true });
  });

  it('--no-smoke: smoke never runs and the state is still written after a successful publish', async () => {
    const f = fake({ fail: 'smoke' });
    const dir = root();
    const run = await runLanguage(f.lang, options(dir, { smoke: false }));
    expect(run).toMatchObject({ ok: true, stage: 'done' });
    expect(run.smoke).toBeUndefined();
    expect(f.calls).toEqual(['plan', 'publish']);
    expect(f.publishOpts).toMatchObject({ dryRun: false });
    expect(existsSync(stateFile(dir))).toBe(true);
  });

  it('an outcome the state schema refuses is caught at the state step: no file (not even a temp one), exit 1', async () => {
    const dir = root();
    const run = await runLanguage(fake({ outcome: { packages: [{ name: MOD, version: VERSION, digest: 'h1:not-a-hash', status: 'published' }] } }).lang, options(dir));
    expect(run).toMatchObject({ ok: false, stage: 'state', exitCode: EXIT.failure });
    expect(run.error).toMatch(/refusing to write invalid state/);
    expect(existsSync(stateFile(dir))).toBe(false);
    const left = existsSync(join(dir, 'tmp/tilt-packages')) ? readdirSync(join(dir, 'tmp/tilt-packages')) : [];
    expect(left).toEqual([]);
  });

  it('a state file that cannot be written fails the language at stage state, exit 1', async () => {
    const dir = root();
    // `tmp` is a file, so tmp/tilt-packages/ cannot exist.
    writeFileSync(join(dir, 'tmp'), 'in the way');
    const run = await runLanguage(fake().lang, options(dir));
    expect(run).toMatchObject({ ok: false, stage: 'state', exitCode: EXIT.failure });
    expect(run.error).toBeTruthy();
    expect(readFileSync(join(dir, 'tmp'), 'utf8')).toBe('in the way');
  });
});

describe('runLanguage: exit codes', () => {
  it('a usage error inside a language (bad override, bad go.mod) keeps exit 2; plan failures stop before publish', async () => {
    const f = fake({ fail: 'plan', error: usageError('AMEIDE_GO_SDK_VERSION "1.2" is not a canonical Go version') });
    const dir = root(true);
    const run = await runLanguage(f.lang, options(dir));
    expect(run).toMatchObject({ ok: false, stage: 'plan', exitCode: EXIT.usage, error: 'AMEIDE_GO_SDK_VERSION "1.2" is not a canonical Go version' });
    expect(run.plan).toBeUndefined();
    expect(f.calls).toEqual(['plan']);
    expect(readFileSync(stateFile(dir), 'utf8')).toBe(EARLIER);
  });

  it('the exit code of a CliError thrown by publish is kept; any other error is exit 1', async () => {
    const usage = await runLanguage(fake({ fail: 'publish', error: new CliError('go.mod says module other.example/m', EXIT.usage) }).lang, options(root()));
    expect(usage).toMatchObject({ stage: 'publish', exitCode: EXIT.usage });
    const plain = await runLanguage(fake({ fail: 'plan', error: new TypeError('undefined is not a function') }).lang, options(root()));
    expect(plain).toMatchObject({ stage: 'plan', exitCode: EXIT.failure, error: 'undefined is not a function' });
  });
});

describe('runLanguage: the stages reported through onStage', () => {
  const record = async (f: Fake, over: Partial<PublishRunOptions> = {}) => {
    const seen: string[] = [];
    await runLanguage(f.lang, options(root(), { onStage: (l, s) => seen.push(`${l}:${s}`), ...over }));
    return seen;
  };

  it('each outcome has its sequence, always ending in exactly one done or failed', async () => {
    expect(await record(fake())).toEqual(['go:plan', 'go:build', 'go:smoke', 'go:state', 'go:done']);
    expect(await record(fake(), { smoke: false })).toEqual(['go:plan', 'go:build', 'go:state', 'go:done']);
    expect(await record(fake(), { dryRun: true })).toEqual(['go:plan', 'go:build', 'go:done']);
    expect(await record(fake({ fail: 'plan' }))).toEqual(['go:plan', 'go:failed']);
    expect(await record(fake({ fail: 'publish' }))).toEqual(['go:plan', 'go:build', 'go:failed']);
    expect(await record(fake({ fail: 'smoke' }))).toEqual(['go:plan', 'go:build', 'go:smoke', 'go:failed']);
  });

  it('the failed stage carries the error as its detail', async () => {
    const seen: [string, string | undefined][] = [];
    await runLanguage(fake({ fail: 'publish', error: new Error('upload refused (413)') }).lang, options(root(), { onStage: (_l, s, d) => seen.push([s, d]) }));
    expect(seen.at(-1)).toEqual(['failed', 'upload refused (413)']);
  });
});

describe('runPublish: languages are independent', () => {
  it('one language failing does not stop or undo another; results come back in the given order', async () => {
    const dir = root();
    const bad = fake({ fail: 'smoke' });
    const good = fake();
    const ts = { ...good.lang, id: 'ts', plan: async () => { throw usageError('no package.json'); } } as unknown as Language;
    const runs = await runPublish(options(dir, { languages: [bad.lang, ts, good.lang] }));
    expect(runs.map((r) => [r.language, r.ok, r.stage, r.exitCode])).toEqual([
      ['go', false, 'smoke', EXIT.failure],
      ['ts', false, 'plan', EXIT.usage],
      ['go', true, 'done', undefined],
    ]);
    // The good run wrote the (shared, in this fake) go state; the failed ones wrote nothing of their own.
    expect(existsSync(stateFile(dir))).toBe(true);
    expect(existsSync(join(dir, 'tmp/tilt-packages/ts.json'))).toBe(false);
  });
});
