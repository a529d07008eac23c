import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { flakyProxy } from '../helpers/flaky-proxy.js';
import { goEnv } from '../helpers/go.js';
import { startFakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { FIXED_TIMESTAMP, gitIn, makeRepo, scratchDirs } from '../helpers/repo.js';
import { recordRules } from '../../src/languages/index.js';
import { stateRecordSchema } from '../../src/state/schema.js';

const StateRecordSchema = stateRecordSchema(recordRules());

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();

describe('publish --lang go against registry serve --read-api', () => {
  let reg: RegistryProcess;
  let repo: string;
  let sha: string;
  const version = () => `v0.0.0-${FIXED_TIMESTAMP}-${sha}`;
  beforeAll(async () => {
    reg = await startRegistryProcess(['--storage', tmp('reg-'), '--read-api', '--quiet']);
    repo = makeRepo();
    track(repo);
    sha = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);
  });
  afterAll(() => reg.stop());

  const env = () => ({ GO_REGISTRY_URL: reg.url, GOPROXY: reg.url, GOSUMDB: 'off', GO_MODULE_PATH: MOD, HOME: tmp('home-') });

  it('--dry-run builds the zip and prints module, version, files, size and h1 without uploading', async () => {
    const r = await runCli(['publish', '--lang', 'go', '--dry-run', '--json', '-C', repo]);
    expect(r.exitCode).toBe(0);
    const pkg = r.json.languages.go.packages[0];
    expect(pkg).toMatchObject({ name: MOD, version: version(), status: 'dry-run', details: { files: 3 } });
    expect(pkg.digest).toMatch(/^h1:/);
    expect(existsSync(join(repo, 'tmp/tilt-packages/go.json'))).toBe(false);
    expect(await (await fetch(`${reg.url}/${MOD}/@v/list`)).status).toBe(404);
  });

  it('publishes, smokes with the real go, writes go.json; a consumer builds through the GOPROXY', async () => {
    const r = await runCli(['publish', '--lang', 'go', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    const go = r.json.languages.go;
    expect(go.ok).toBe(true);
    expect(go.smoke.checks.map((c: { name: string }) => c.name), JSON.stringify(go.smoke.checks)).toContain(`${MOD}@${version()} go mod download`);
    const state = StateRecordSchema.parse(JSON.parse(readFileSync(join(repo, 'tmp/tilt-packages/go.json'), 'utf8')));
    expect(state).toMatchObject({ language: 'go', version: version(), timestamp: FIXED_TIMESTAMP, gitSha: sha, registry: reg.url });
    expect(state.packages[0]).toMatchObject({ name: MOD, version: version(), digest: go.packages[0].digest });

    const home = tmp('consumer-');
    const app = join(home, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'go.mod'), `module example.com/consumer\n\ngo 1.19\n\nrequire ${MOD} ${version()}\n`);
    writeFileSync(join(app, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\tsdk "${MOD}"\n)\n\nfunc main() { fmt.Println(sdk.Greet("consumer")) }\n`);
    const e = goEnv(home, reg.url);
    await execa('go', ['build', '-o', 'app', '.'], { cwd: app, env: e, extendEnv: false });
    expect((await execa(join(app, 'app'))).stdout).toBe('hello, consumer');
    const dl = JSON.parse((await execa('go', ['mod', 'download', '-json', `${MOD}@${version()}`], { cwd: home, env: e, extendEnv: false })).stdout);
    expect(dl.Sum).toBe(state.packages[0]!.digest);
  });

  it('re-running on the same commit is an idempotent success', async () => {
    const r = await runCli(['publish', '--lang', 'go', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.languages.go.packages[0].status).toBe('already-present');
  });

  it('409 (same version, other content) → exit 1 with the reason, no state written', async () => {
    const other = makeRepo();
    track(other);
    writeFileSync(join(other, 'packages/go/ameide-sdk-go/extra.go'), 'package ameidesdk\n\n// Extra changes the zip.\nconst Extra = 1\n');
    // Same timestamp + SHA as the first repo, different bytes: exactly what immutability forbids.
    const r = await runCli(['publish', '--lang', 'go', '--allow-dirty', '--timestamp', FIXED_TIMESTAMP, '-C', other], { env: { ...env(), SOURCE_GIT_SHA: sha, GIT_DIR: '/nonexistent' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/already exists in the registry with different content/);
    expect(existsSync(join(other, 'tmp/tilt-packages/go.json'))).toBe(false);
  });

  it('registry down → exit 1 and no go.json', async () => {
    const fresh = makeRepo();
    track(fresh);
    const r = await runCli(['publish', '--lang', 'go', '-C', fresh], { env: { ...env(), GO_REGISTRY_URL: 'http://127.0.0.1:9', GOPROXY: 'http://127.0.0.1:9', AMEIDE_PKG_RETRY_BASE_MS: '10' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/unreachable after 4 attempts \(ECONNREFUSED\)/);
    expect(existsSync(join(fresh, 'tmp/tilt-packages/go.json'))).toBe(false);
  });

  it('missing GO_REGISTRY_URL and GOPROXY → exit 2 listing both', async () => {
    const r = await runCli(['publish', '--lang', 'go', '-C', repo], { env: { HOME: tmp() } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/GO_REGISTRY_URL/);
    expect(r.stderr).toMatch(/GOPROXY/);
  });

  it('GO_MODULE_PATH that differs from go.mod → exit 2', async () => {
    const r = await runCli(['publish', '--lang', 'go', '-C', repo], { env: { ...env(), GO_MODULE_PATH: 'go.packages.dev.ameide.io/other' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/GO_MODULE_PATH/);
  });

  it('a flaky registry (first two connections reset) still succeeds', async () => {
    const fresh = makeRepo(undefined, { date: '2025-11-07T10:00:00Z' });
    track(fresh);
    const proxy = await flakyProxy(reg.url, 2);
    try {
      const r = await runCli(['publish', '--lang', 'go', '--json', '-C', fresh], { env: { ...env(), GO_REGISTRY_URL: proxy.url, AMEIDE_PKG_RETRY_BASE_MS: '20' } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/retrying/);
      expect(proxy.connections()).toBeGreaterThanOrEqual(3);
      expect(existsSync(join(fresh, 'tmp/tilt-packages/go.json'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('pushes state after publish: `kubectl -n ameide get configmap go-packages-state -o json` shows it, and state check --registry is clean', async () => {
    const api = await startFakeApiServer({ namespaces: ['ameide'] });
    try {
      const fresh = makeRepo(undefined, { date: '2025-11-08T10:00:00Z' });
      track(fresh);
      const home = tmp('kube-');
      const kubeconfig = api.writeKubeconfig(home);
      // The seed's own check, on a ConfigMap that also holds a key another tool owns.
      const kubectl = (args: string[]) => execa('kubectl', ['-n', 'ameide', ...args], { env: { KUBECONFIG: kubeconfig, HOME: home }, extendEnv: false });
      await kubectl(['create', 'configmap', 'go-packages-state', '--from-literal=README=managed by CI']);
      const r = await runCli(['publish', '--lang', 'go', '--json', '-C', fresh], { env: { ...env(), KUBECONFIG: kubeconfig } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.json.languages.go.push).toMatchObject({ configMap: 'go-packages-state', done: 'patched' });
      const local = readFileSync(join(fresh, 'tmp/tilt-packages/go.json'), 'utf8');
      const cm = JSON.parse((await kubectl(['get', 'configmap', 'go-packages-state', '-o', 'json'])).stdout);
      expect(cm.data['ameide-sdk-go.json']).toBe(local);
      expect(cm.data.README).toBe('managed by CI');
      expect(JSON.parse(cm.data['ameide-sdk-go.json']).version).toBe(r.json.languages.go.packages[0].version);

      const check = await runCli(['state', 'check', '--lang', 'go', '--registry', '--json', '-C', fresh], { env: { ...env(), KUBECONFIG: kubeconfig } });
      expect(check.exitCode, check.stderr).toBe(0);
      expect(check.json.languages.go.served).toEqual([expect.objectContaining({ ok: true })]);
    } finally {
      await api.close();
    }
  });

  it('without a kubeconfig: a one-line note (exit 0); --push asks for one and fails before publishing (exit 2)', async () => {
    const fresh = makeRepo(undefined, { date: '2025-11-09T10:00:00Z' });
    track(fresh);
    const pushed = await runCli(['publish', '--lang', 'go', '--push', '-C', fresh], { env: env() });
    expect(pushed.exitCode).toBe(2);
    expect(pushed.stderr).toMatch(/--push: no cluster configured/);
    expect(existsSync(join(fresh, 'tmp/tilt-packages/go.json'))).toBe(false);
    const r = await runCli(['publish', '--lang', 'go', '-C', fresh], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: no kubeconfig found; state written locally only/);
  });
});
