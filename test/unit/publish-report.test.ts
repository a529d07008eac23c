import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildReport,
  exitPolicy,
  publishJson,
  pushErrors,
  pushNote,
  runErrors,
  stepSummary,
  summaryRows,
  type PushPhase,
} from '../../src/publish/report.js';
import type { LanguageRun } from '../../src/publish/run.js';
import type { Snapshot } from '../../src/snapshot/resolve.js';
import type { PushResult } from '../../src/state/push.js';

/**
 * The publish report's pure shaping: the --json document (a frozen contract), the summary table,
 * the step-summary markdown, the stderr lines, and the exit policy (0 / 1 / 2).
 */
const root = '/repo';
const snapshot: Snapshot = { timestamp: '20251106083012', gitSha: '0123456789ab', time: '2025-11-06T08:30:12Z', timeSource: 'commit', dirty: false, shaSource: 'git' };
const H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const GO_MOD = 'go.packages.example/ameide-sdk-go';
const GO_V = 'v0.0.0-20251106083012-0123456789ab';

const goOk = (): LanguageRun => ({
  language: 'go',
  ok: true,
  stage: 'done',
  plan: { language: 'go', snapshot, packages: [{ name: GO_MOD, version: GO_V, dir: '/repo/go', base: 'v0.0.0' }] },
  outcome: { language: 'go', registry: 'http://go.test', packages: [{ name: GO_MOD, version: GO_V, digest: H1, status: 'published' }] },
  smoke: { language: 'go', ok: true, checks: [{ name: 'served', ok: true }] },
  stateFile: join(root, 'tmp/tilt-packages/go.json'),
});
const tsPublishFailed = (exitCode = 1): LanguageRun => ({
  language: 'ts',
  ok: false,
  stage: 'publish',
  plan: { language: 'ts', snapshot, packages: [{ name: '@ameide/sdk', version: '0.0.0-20251106083012-0123456789ab', dir: '/repo/ts', base: '0.0.0' }] },
  error: 'npm publish: E403 forbidden',
  exitCode,
});
const pythonPlanFailed = (exitCode = 2): LanguageRun => ({ language: 'python', ok: false, stage: 'plan', error: 'AMEIDE_PYTHON_VERSION: not PEP 440', exitCode });

const patched: PushResult = { language: 'go', configMap: 'go-packages-state', key: 'ameide-sdk-go.json', action: 'patch', done: 'patched', version: GO_V };
const pushed = (languages: Extract<PushPhase, { kind: 'pushed' }>['languages'], error?: string): PushPhase => ({ kind: 'pushed', cluster: 'KUBECONFIG', error, languages });
const skipped = (reason: Extract<PushPhase, { kind: 'skipped' }>['reason']): PushPhase => ({ kind: 'skipped', reason });

describe('publish report: exit policy', () => {
  it('0 when everything published and pushed', () => {
    expect(exitPolicy([goOk()], pushed({ go: patched }))).toBe(0);
    expect(exitPolicy([goOk()], skipped('no-cluster'))).toBe(0);
  });

  it('2 when every failure is a usage failure; 1 as soon as one is not', () => {
    expect(exitPolicy([goOk(), pythonPlanFailed(2)], skipped('no-cluster'))).toBe(2);
    expect(exitPolicy([goOk(), pythonPlanFailed(2), tsPublishFailed(1)], skipped('no-cluster'))).toBe(1);
    expect(exitPolicy([tsPublishFailed(1)], skipped('nothing-recorded'))).toBe(1);
  });

  it('a failed push is a failure (1), never a usage error, even next to usage failures', () => {
    expect(exitPolicy([goOk()], pushed({ go: { ...patched, action: 'refuse', done: 'refused', error: 'kube: forbidden (403)' } }))).toBe(1);
    expect(exitPolicy([goOk()], pushed({ go: { error: 'kube: cannot reach the API server' } }, 'kube: cannot reach the API server'))).toBe(1);
    expect(exitPolicy([goOk(), pythonPlanFailed(2)], pushed({ go: { error: 'unreachable' } }, 'unreachable'))).toBe(1);
  });

  it('buildReport carries ok and exitCode from the same policy', () => {
    const r = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk(), pythonPlanFailed(2)], push: skipped('no-cluster') });
    expect([r.ok, r.exitCode]).toEqual([false, 2]);
    expect(buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: pushed({ go: patched }) })).toMatchObject({ ok: true, exitCode: 0 });
  });
});

describe('publish report: --json document', () => {
  it('has exactly the keys, order and values publish --json always printed', () => {
    const report = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk(), tsPublishFailed()], push: pushed({ go: patched }) });
    // Written out in the historical key order; compared as text, so order is asserted too.
    const expected = {
      ok: false,
      dryRun: false,
      snapshot,
      languages: {
        go: {
          ok: true,
          stage: 'done',
          registry: 'http://go.test',
          packages: [{ name: GO_MOD, version: GO_V, digest: H1, status: 'published' }],
          smoke: { language: 'go', ok: true, checks: [{ name: 'served', ok: true }] },
          stateFile: 'tmp/tilt-packages/go.json',
          push: { language: 'go', configMap: 'go-packages-state', key: 'ameide-sdk-go.json', action: 'patch', done: 'patched', version: GO_V },
        },
        ts: { ok: false, stage: 'publish', error: 'npm publish: E403 forbidden', packages: [] },
      },
    };
    expect(JSON.stringify(publishJson(report, root), null, 2)).toBe(JSON.stringify(expected, null, 2));
  });

  it('a push that could not start shows as {error} on every recorded language', () => {
    const report = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: pushed({ go: { error: 'kube: no current cluster' } }, 'kube: no current cluster') });
    expect(JSON.stringify(publishJson(report, root).languages.go!.push)).toBe('{"error":"kube: no current cluster"}');
    const none = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: skipped('no-cluster') });
    expect('push' in JSON.parse(JSON.stringify(publishJson(none, root))).languages.go).toBe(false);
  });
});

describe('publish report: summary table, step summary, stderr lines', () => {
  it('one row per package; the SMOKE and STATE cells say what happened', () => {
    const report = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk(), tsPublishFailed(), pythonPlanFailed()], push: pushed({ go: patched }) });
    expect(summaryRows(report, root)).toEqual([
      ['go', GO_MOD, GO_V, 'h1:47DEQpj8HBSa+/TImW+5J…', 'ok', 'tmp/tilt-packages/go.json → go-packages-state (patched)'],
      ['ts', '@ameide/sdk', '0.0.0-20251106083012-0123456789ab', '', '-', 'FAILED (publish)'],
      ['python', '-', '-', '', '-', 'FAILED (plan)'],
    ]);
  });

  it('a failed push, a dry run and --no-smoke each change their cell', () => {
    const failedPush = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: pushed({ go: { error: 'x' } }, 'x') });
    expect(summaryRows(failedPush, root)[0]![5]).toBe('tmp/tilt-packages/go.json, push FAILED');
    const dry = { ...goOk(), stateFile: undefined, smoke: undefined };
    expect(summaryRows(buildReport({ dryRun: true, smoke: true, snapshot, runs: [dry], push: skipped('dry-run') }), root)[0]!.slice(4)).toEqual(['dry-run', '-']);
    const noSmoke = { ...goOk(), smoke: undefined };
    expect(summaryRows(buildReport({ dryRun: false, smoke: false, snapshot, runs: [noSmoke], push: skipped('no-cluster') }), root)[0]!.slice(4)).toEqual([
      'skipped',
      'tmp/tilt-packages/go.json',
    ]);
  });

  it('the step summary is a heading naming the snapshot and the same table in markdown', () => {
    const report = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: skipped('no-cluster') });
    expect(stepSummary(report, root)).toBe(
      '### ameide-pkg publish 20251106083012 0123456789ab\n\n' +
        '| LANG | PACKAGE | VERSION | DIGEST | SMOKE | STATE |\n| --- | --- | --- | --- | --- | --- |\n' +
        `| go | ${GO_MOD} | ${GO_V} | h1:47DEQpj8HBSa+/TImW+5J… | ok | tmp/tilt-packages/go.json |\n\n`,
    );
  });

  it('push errors: each language its own line, the one that stopped the push once; the note only without a cluster', () => {
    const own = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: pushed({ go: { ...patched, error: 'kube: forbidden (403)' } }) });
    expect(pushErrors(own)).toEqual(['go: state push: kube: forbidden (403)']);
    const whole = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: pushed({ go: { error: 'unreachable' } }, 'unreachable') });
    expect(pushErrors(whole)).toEqual(['state push: unreachable']);
    expect(pushNote(whole)).toBeUndefined();
    const local = buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk()], push: skipped('no-cluster') });
    expect(pushNote(local)).toMatch(/^note: no kubeconfig found; state written locally only/);
    for (const reason of ['dry-run', 'disabled', 'nothing-recorded'] as const) expect(pushNote({ ...local, push: skipped(reason) })).toBeUndefined();
    expect(runErrors(buildReport({ dryRun: false, smoke: true, snapshot, runs: [goOk(), tsPublishFailed()], push: skipped('no-cluster') }))).toEqual(['ts: npm publish: E403 forbidden']);
  });
});
