import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { makeRepo, removeDir, scratchDirs } from '../helpers/repo.js';
import { serializeState } from '../../src/state/files.js';
import type { StateRecord } from '../../src/state/schema.js';
import { sampleRecord } from '../helpers/state.js';

const NS = 'ameide';
const { tmp, track } = scratchDirs();

function writeLocal(repo: string, file: string, record: StateRecord | string): string {
  const dir = join(repo, 'tmp/tilt-packages');
  mkdirSync(dir, { recursive: true });
  const text = typeof record === 'string' ? record : serializeState(record);
  writeFileSync(join(dir, file), text);
  return text;
}

describe('state push | sync | check against the fake apiserver', () => {
  let api: FakeApiServer;
  let kubeconfig: string;
  let home: string;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ KUBECONFIG: kubeconfig, HOME: home, ...extra });
  const kubectl = (args: string[]) => execa('kubectl', ['-n', NS, ...args], { env: { KUBECONFIG: kubeconfig, HOME: home }, extendEnv: false, reject: false });

  beforeAll(async () => {
    home = tmp('kube-home-');
    api = await startFakeApiServer({ https: true, token: 'state-token', namespaces: [NS] });
    kubeconfig = api.writeKubeconfig(home);
  });
  afterAll(() => api?.close());
  beforeEach(() => {
    for (const n of ['go-packages-state', 'ts-packages-state', 'python-packages-state', 'shared-state']) api.deleteConfigMap(NS, n);
  });

  it('push creates the missing ConfigMap with the managed-by label via a merge patch of one key', async () => {
    const repo = makeRepo();
    track(repo);
    const text = writeLocal(repo, 'go.json', sampleRecord('go', 1));
    const before = api.requests.length;
    const r = await runCli(['state', 'push', '--lang', 'go', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.results[0]).toMatchObject({ language: 'go', configMap: 'go-packages-state', key: 'ameide-sdk-go.json', done: 'created' });
    expect(r.json.namespace).toBe(NS);
    const cm = api.configMap(NS, 'go-packages-state')!;
    expect(cm.data).toEqual({ 'ameide-sdk-go.json': text });
    expect(cm.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'ameide-pkg' });
    const writes = api.requests.slice(before).filter((q) => q.method !== 'GET');
    expect(writes.every((q) => q.fieldManager === 'ameide-pkg')).toBe(true);
    expect(writes.find((q) => q.method === 'PATCH')?.contentType).toBe('application/merge-patch+json');

    const again = await runCli(['state', 'push', '--lang', 'go', '--json', '-C', repo], { env: env() });
    expect(again.json.results[0].done).toBe('unchanged');
  });

  it('push never touches other keys: a key set with kubectl survives, and only ours changes', async () => {
    const k = await kubectl(['create', 'configmap', 'go-packages-state', '--from-literal=owner.txt=helm', '--from-literal=ameide-sdk-go.json=old']);
    expect(k.exitCode, k.stderr).toBe(0);
    const repo = makeRepo();
    track(repo);
    const text = writeLocal(repo, 'go.json', sampleRecord('go', 2));
    const r = await runCli(['state', 'push', '--lang', 'go', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/go\s+ameide\/go-packages-state\s+ameide-sdk-go\.json\s+v0\.0\.0-\S+\s+patched/);
    const got = JSON.parse((await kubectl(['get', 'configmap', 'go-packages-state', '-o', 'json'])).stdout);
    expect(got.data).toEqual({ 'owner.txt': 'helm', 'ameide-sdk-go.json': text });
  });

  it('two languages pushing concurrently into one ConfigMap for 10 rounds lose no key and no update', async () => {
    const repo = makeRepo();
    track(repo);
    const cfgPath = join(repo, 'ameide-pkg.config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.state = { ts: { file: 'ts.json', configMap: 'shared-state', key: 'ts.json' }, go: { file: 'go.json', configMap: 'shared-state', key: 'go.json' } };
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
    for (let round = 1; round <= 10; round++) {
      const ts = writeLocal(repo, 'ts.json', sampleRecord('ts', round));
      const go = writeLocal(repo, 'go.json', sampleRecord('go', round));
      // Every third round starts without the ConfigMap and holds both creates until both
      // arrive, so one of them deterministically loses the create race (409 AlreadyExists);
      // the rounds in between inject stale-write 409s on patch.
      if (round % 3 === 1) {
        api.deleteConfigMap(NS, 'shared-state');
        api.barrier('POST', 2);
      } else if (round % 3 === 2) api.conflictNext('PATCH', 2);
      const [a, b] = await Promise.all([
        runCli(['state', 'push', '--lang', 'ts', '-C', repo], { env: env() }),
        runCli(['state', 'push', '--lang', 'go', '-C', repo], { env: env() }),
      ]);
      expect(a.exitCode, a.stderr).toBe(0);
      expect(b.exitCode, b.stderr).toBe(0);
      expect(api.configMap(NS, 'shared-state')!.data, `round ${round}`).toEqual({ 'ts.json': ts, 'go.json': go });
    }
  }, 120_000);

  it('403 on patch → exit 1 naming the verb and resource the service account needs; --dry-run writes nothing', async () => {
    const repo = makeRepo();
    track(repo);
    writeLocal(repo, 'go.json', sampleRecord('go', 3));
    api.putConfigMap(NS, 'go-packages-state', { 'owner.txt': 'helm' });
    const dry = await runCli(['state', 'push', '--lang', 'go', '--dry-run', '--json', '-C', repo], { env: env() });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.results[0].done).toBe('would-patch');
    expect(api.configMap(NS, 'go-packages-state')!.data).toEqual({ 'owner.txt': 'helm' });

    const locked = await startFakeApiServer({ https: true, token: 't', namespaces: [NS] });
    try {
      locked.forbid('patch', 'configmaps');
      locked.putConfigMap(NS, 'go-packages-state', {});
      const kc = locked.writeKubeconfig(tmp('kube-locked-'), { namespace: NS });
      const r = await runCli(['state', 'push', '--lang', 'go', '-C', repo], { env: env({ KUBECONFIG: kc }) });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/forbidden \(403\): cannot patch configmaps "go-packages-state" in namespace "ameide"/);
      expect(r.stderr).toMatch(/verbs \["get", "create", "patch"\]/);
    } finally {
      await locked.close();
    }
  });

  it('clear errors: no kubeconfig (exit 2), wrong token (401), unreachable server, missing namespace', async () => {
    const repo = makeRepo();
    track(repo);
    writeLocal(repo, 'go.json', sampleRecord('go', 4));
    const none = await runCli(['state', 'push', '-C', repo], { env: { HOME: tmp('no-kube-') } });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/no cluster configured.*set KUBECONFIG/);

    const wrong = api.writeKubeconfig(tmp('kube-wrong-'), { token: 'nope' });
    const u = await runCli(['state', 'push', '--lang', 'go', '-C', repo], { env: env({ KUBECONFIG: wrong }) });
    expect(u.exitCode).toBe(1);
    expect(u.stderr).toMatch(/unauthorized \(401\)/);

    const dead = await startFakeApiServer({ namespaces: [NS] });
    const deadKc = dead.writeKubeconfig(tmp('kube-dead-'));
    await dead.close();
    const d = await runCli(['state', 'check', '--lang', 'go', '-C', repo], { env: env({ KUBECONFIG: deadKc }) });
    expect(d.exitCode).toBe(1);
    expect(d.stderr).toMatch(/cannot reach the API server http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/);

    const ns = await runCli(['state', 'push', '--lang', 'go', '--namespace', 'ghost', '-C', repo], { env: env() });
    expect(ns.exitCode).toBe(1);
    expect(ns.stderr).toMatch(/namespace "ghost" does not exist.*namespace from flag/);
  });

  it('sync gives a fresh checkout byte-identical state files and refuses a corrupt value by key', async () => {
    const source = makeRepo();
    track(source);
    const texts = { go: writeLocal(source, 'go.json', sampleRecord('go', 5)), ts: writeLocal(source, 'ts.json', sampleRecord('ts', 5)), python: writeLocal(source, 'python.json', sampleRecord('python', 5)) };
    expect((await runCli(['state', 'push', '-C', source], { env: env() })).exitCode).toBe(0);

    const fresh = makeRepo();
    track(fresh);
    const dry = await runCli(['state', 'sync', '--dry-run', '-C', fresh], { env: env() });
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(existsSync(join(fresh, 'tmp/tilt-packages'))).toBe(false);
    const r = await runCli(['state', 'sync', '--json', '-C', fresh], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.results.map((x: { done: string }) => x.done)).toEqual(['written', 'written', 'written']);
    for (const [lang, text] of Object.entries(texts)) expect(readFileSync(join(fresh, `tmp/tilt-packages/${lang}.json`), 'utf8')).toBe(text);

    const k = await kubectl(['patch', 'configmap', 'go-packages-state', '--type', 'merge', '-p', JSON.stringify({ data: { 'ameide-sdk-go.json': '{"version": 7}' } })]);
    expect(k.exitCode, k.stderr).toBe(0);
    const bad = await runCli(['state', 'sync', '--lang', 'go', '-C', fresh], { env: env() });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/ConfigMap go-packages-state key ameide-sdk-go\.json is not an ameide-pkg state record.*not written/);
    expect(readFileSync(join(fresh, 'tmp/tilt-packages/go.json'), 'utf8')).toBe(texts.go);
  });

  describe('check', () => {
    let repo: string;
    const check = async (args: string[] = []) => runCli(['state', 'check', '--json', '-C', repo, ...args], { env: env() });
    const kinds = (r: { json: any }) => r.json.findings.map((f: { language: string; kind: string }) => `${f.language}:${f.kind}`).sort();
    beforeEach(async () => {
      repo = makeRepo();
      track(repo);
      writeLocal(repo, 'go.json', sampleRecord('go', 6));
      writeLocal(repo, 'ts.json', sampleRecord('ts', 6));
      writeLocal(repo, 'python.json', sampleRecord('python', 6));
      expect((await runCli(['state', 'push', '-C', repo], { env: env() })).exitCode).toBe(0);
    });

    it('clean → exit 0 with an empty report', async () => {
      const r = await check();
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ ok: true, findings: [], namespace: NS });
      expect(r.json.languages.go.cluster.version).toBe(sampleRecord('go', 6).version);
    });

    it('each drift kind → exit 3 and the right report', async () => {
      api.deleteConfigMap(NS, 'ts-packages-state');
      await kubectl(['patch', 'configmap', 'python-packages-state', '--type', 'json', '-p', '[{"op":"remove","path":"/data/python.json"}]']);
      writeLocal(repo, 'go.json', sampleRecord('go', 7));
      let r = await check();
      expect(r.exitCode).toBe(3);
      expect(kinds(r)).toEqual(['go:mismatch', 'python:missing-key', 'ts:missing-configmap']);
      const mismatch = r.json.findings.find((f: { kind: string }) => f.kind === 'mismatch');
      expect(mismatch.message).toContain(sampleRecord('go', 7).version);
      expect(mismatch.fix).toMatch(/state sync --lang go/);

      await kubectl(['patch', 'configmap', 'go-packages-state', '--type', 'merge', '-p', '{"data":{"ameide-sdk-go.json":"not json"}}']);
      writeLocal(repo, 'ts.json', '{"schemaVersion": 1');
      removeDir(join(repo, 'tmp/tilt-packages/python.json'));
      r = await check();
      expect(r.exitCode).toBe(3);
      expect(kinds(r)).toEqual(['go:invalid-cluster', 'python:missing-key', 'python:missing-local', 'ts:invalid-local', 'ts:missing-configmap']);
      expect(r.json.findings.find((f: { kind: string }) => f.kind === 'invalid-cluster').message).toMatch(/not valid JSON/);
    });

    it('--registry reports a recorded version that is no longer served (exit 3)', async () => {
      let reg: RegistryProcess | undefined;
      try {
        reg = await startRegistryProcess(['--storage', tmp('reg-'), '--read-api', '--quiet']);
        const r = await runCli(['state', 'check', '--json', '--lang', 'go', '--registry', '-C', repo], { env: env({ GOPROXY: reg.url }) });
        expect(r.exitCode).toBe(3);
        expect(kinds(r)).toEqual(['go:not-served']);
        expect(r.json.findings[0].message).toMatch(/HTTP 404/);
        const noEnv = await runCli(['state', 'check', '--lang', 'go', '--registry', '-C', repo], { env: env() });
        expect(noEnv.exitCode).toBe(2);
        expect(noEnv.stderr).toMatch(/GOPROXY/);
      } finally {
        await reg?.stop();
      }
    });
  });
});
