import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDevStack, type DevStack } from '../../src/dev/stack.js';
import { parseOutputFile, runCompositeAction } from '../helpers/actions.js';
import { makeRepo, PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';

/**
 * action.yml executed as the runner would (test/helpers/actions.ts) against the dev stack:
 * doctor, publish --lang all, versions as outputs, the table in the step summary.
 */
const { tmp, track } = scratchDirs();
const ACTION = join(PROJECT_ROOT, 'action.yml');
const GO_HOST = 'go.packages.dev.ameide.io';

let stack: DevStack;
let env: Record<string, string>;

beforeAll(async () => {
  stack = await startDevStack({ consumerEnv: { GONOSUMDB: GO_HOST } });
  env = { PATH: process.env.PATH!, ...stack.env, ...stack.secrets, GONOSUMDB: GO_HOST, NO_COLOR: '1' };
}, 60_000);
afterAll(() => stack?.close());

describe('GitHub Action (action.yml, composite)', () => {
  it('the GITHUB_OUTPUT parser reads both forms the runner accepts', () => {
    expect(parseOutputFile('a=1\nb<<EOF_x\nline 1\nline=2\nEOF_x\nc=\n')).toEqual({ a: '1', b: 'line 1\nline=2', c: '' });
  });

  it('doctor → publish --lang all: every output set, versions equal the recorded state, the summary has the table', async () => {
    const workspace = tmp('gh-workspace-');
    const repo = track(makeRepo());
    const run = await runCompositeAction(ACTION, { actionPath: PROJECT_ROOT, workspace, inputs: { 'working-directory': repo }, env: { ...env, HOME: tmp('gh-home-') } });
    expect(run.ok, run.log).toBe(true);
    // doctor ran (and passed) before publish.
    expect(run.log).toMatch(/## doctor \(exit 0\)\n[\s\S]*ok/);
    const declared = ['json', 'ok', 'versions', 'ts-version', 'python-version', 'go-version'];
    expect(Object.keys(run.outputs).sort()).toEqual([...declared].sort());
    for (const k of declared) expect(run.outputs[k], k).not.toBe('');
    const doc = JSON.parse(run.outputs.json!);
    expect(doc.ok).toBe(true);
    expect(run.outputs.ok).toBe('true');
    const recorded = Object.fromEntries(['ts', 'python', 'go'].map((l) => [l, JSON.parse(readFileSync(join(repo, `tmp/tilt-packages/${l}.json`), 'utf8')).version]));
    expect(JSON.parse(run.outputs.versions!)).toEqual(recorded);
    for (const l of ['ts', 'python', 'go']) expect(run.outputs[`${l}-version`]).toBe(recorded[l]);
    expect(run.outputs['go-version']).toMatch(/^v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
    // publish's own markdown table, in the step summary the runner collects.
    expect(run.summary).toMatch(new RegExp(`^### ameide-pkg publish ${doc.snapshot.timestamp} ${doc.snapshot.gitSha}$`, 'm'));
    expect(run.summary).toMatch(/\| ts \| @ameide\/sdk \|/);
    expect(run.summary).toMatch(/\| go \| go\.packages\.dev\.ameide\.io\/ameide-sdk-go \|/);
  }, 240_000);

  it('a failing language fails the step, but the outputs of the others are still set', async () => {
    const workspace = tmp('gh-workspace-');
    const repo = track(makeRepo(undefined, { date: '2025-11-12T10:00:00Z' }));
    const down = { TWINE_REPOSITORY_URL: 'http://127.0.0.1:9/pypi/', PIP_INDEX_URL: 'http://127.0.0.1:9/pypi/simple/', AMEIDE_PKG_RETRY_BASE_MS: '10' };
    const run = await runCompositeAction(ACTION, {
      actionPath: PROJECT_ROOT,
      workspace,
      inputs: { 'working-directory': repo, lang: 'all', doctor: 'false', push: 'false' },
      env: { ...env, ...down, HOME: tmp('gh-home-') },
    });
    expect(run.ok).toBe(false);
    expect(run.failedStep).toBe('publish');
    expect(run.outputs.ok).toBe('false');
    expect(run.outputs['python-version']).toBe('');
    expect(run.outputs['go-version']).toMatch(/^v0\.0\.0-20251112100000-/);
    expect(run.outputs['ts-version']).toMatch(/-dev\.20251112100000\./);
    expect(JSON.parse(run.outputs.json!).languages.python).toMatchObject({ ok: false, stage: 'publish' });
  }, 240_000);

  it('examples/github-actions/publish.yml uses the action with declared inputs and reads only declared outputs', () => {
    const action = parse(readFileSync(ACTION, 'utf8'));
    const workflow = parse(readFileSync(join(PROJECT_ROOT, 'examples/github-actions/publish.yml'), 'utf8'));
    const steps: any[] = workflow.jobs.publish.steps;
    const use = steps.find((s) => /^(\.\/|ameide\/ameide-pkg@)/.test(s.uses ?? ''))!;
    expect(use, 'a step uses the action').toBeTruthy();
    for (const k of Object.keys(use.with ?? {})) expect(Object.keys(action.inputs)).toContain(k);
    const text = readFileSync(join(PROJECT_ROOT, 'examples/github-actions/publish.yml'), 'utf8');
    const read = [...text.matchAll(new RegExp(`steps\\.${use.id}\\.outputs\\.([\\w-]+)`, 'g'))].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(0);
    for (const o of read) expect(Object.keys(action.outputs)).toContain(o);
  });

  it('a bad input is a clear error before anything is published', async () => {
    const run = await runCompositeAction(ACTION, { actionPath: PROJECT_ROOT, workspace: tmp('gh-workspace-'), inputs: { 'working-directory': track(makeRepo()), doctor: 'false', push: 'sometimes' }, env: { ...env, HOME: tmp('gh-home-') } });
    expect(run.ok).toBe(false);
    expect(run.log).toMatch(/::error::input push must be auto, true or false \(got "sometimes"\)/);
    expect(run.outputs.json).toBe('');
  });
});
