import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../src/dev/stack.js';
import { runCli } from '../helpers/cli.js';
import { goEnv } from '../helpers/go.js';
import { startFakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { postUpload } from '../helpers/registry.js';
import { gitIn, makeRepo, scratchDirs } from '../helpers/repo.js';
import { goModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const HOST = 'go.packages.dev.ameide.io';
const { tmp, track } = scratchDirs();

type Finding = { id: string; level: string; what: string; why?: string; fix?: string };

describe('doctor', () => {
  let stack: DevStack;
  let repo: string;
  let version: string;
  let good: Record<string, string>;
  const doctor = async (env: Record<string, string | undefined>, args: string[] = [], cwd = repo) => {
    const r = await runCli(['doctor', '--json', '-C', cwd, ...args], { env: env as NodeJS.ProcessEnv });
    return { ...r, findings: (r.json?.findings ?? []) as Finding[], ids: ((r.json?.findings ?? []) as Finding[]).filter((f) => f.level === 'error' || f.level === 'warn').map((f) => f.id) };
  };
  const find = (fs: Finding[], id: string) => fs.find((f) => f.id === id);

  beforeAll(async () => {
    stack = await startDevStack({ consumerEnv: { GONOSUMDB: HOST } });
    repo = makeRepo();
    track(repo);
    good = { ...stack.env, ...stack.secrets, GONOSUMDB: HOST, GOWORK: 'off', HOME: tmp('home-') };
    const r = await runCli(['publish', '--lang', 'go', '--json', '-C', repo], { env: good });
    expect(r.exitCode, r.stderr).toBe(0);
    version = r.json.languages.go.packages[0].version;
  }, 120_000);
  afterAll(() => stack?.close());

  it('a healthy setup → exit 0, no errors or warnings; no cluster is only info', async () => {
    const r = await doctor(good);
    expect(r.exitCode, JSON.stringify(r.findings, null, 1)).toBe(0);
    expect(r.ids).toEqual([]);
    expect(find(r.findings, 'kube')!.level).toBe('info');
    expect(find(r.findings, 'health.npm')!.level).toBe('ok');
  });

  it('env contract: every missing name of a language at once → exit 1', async () => {
    const { GO_REGISTRY_URL: _a, GOPROXY: _b, ...rest } = good;
    const r = await doctor(rest, ['--lang', 'go']);
    expect(r.exitCode).toBe(1);
    const f = find(r.findings, 'env.go')!;
    expect(f.level).toBe('error');
    expect(f.what).toMatch(/GO_REGISTRY_URL/);
    expect(f.what).toMatch(/GOPROXY/);
    expect(f.fix).toBeTruthy();
  });

  it('registry health: uploader, npm ping and the index each reported when down', async () => {
    const dead = 'http://127.0.0.1:9';
    const r = await doctor({ ...good, GO_REGISTRY_URL: dead, NPM_REGISTRY_URL: `${dead}/`, PIP_INDEX_URL: `${dead}/simple/` });
    expect(r.exitCode).toBe(1);
    for (const id of ['health.go-healthz', 'health.go-readyz', 'health.npm', 'health.python-index']) expect(find(r.findings, id)?.what, id).toMatch(/ECONNREFUSED/);
    expect(find(r.findings, 'health.goproxy')!.level).toBe('ok');
  });

  it('a shallow clone warns (and is an error when Go bases come from tags)', async () => {
    const shallow = join(tmp('shallow-'), 'repo');
    gitIn(repo, ['commit', '-q', '--allow-empty', '-m', 'second']);
    await execa('git', ['clone', '-q', '--depth', '1', `file://${repo}`, shallow]);
    let r = await doctor(good, [], shallow);
    expect(find(r.findings, 'git.shallow')).toMatchObject({ level: 'warn', fix: expect.stringContaining('--unshallow') });
    expect(r.exitCode).toBe(0);
    const cfgPath = join(shallow, 'ameide-pkg.config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.go.goBase = 'tags';
    writeFileSync(cfgPath, JSON.stringify(cfg));
    r = await doctor(good, ['--lang', 'go'], shallow);
    expect(find(r.findings, 'git.shallow')!.level).toBe('error');
    expect(r.exitCode).toBe(1);
  });

  it('kube access: a forbidden read names the permission; an allowed one is ok', async () => {
    const api = await startFakeApiServer({ https: true, token: 'doc', namespaces: ['ameide'] });
    try {
      const kc = api.writeKubeconfig(tmp('kube-'));
      let r = await doctor({ ...good, KUBECONFIG: kc });
      expect(find(r.findings, 'kube')!.level, JSON.stringify(find(r.findings, 'kube'))).toBe('ok');
      api.forbid('get', 'configmaps');
      r = await doctor({ ...good, KUBECONFIG: kc });
      expect(r.exitCode).toBe(1);
      expect(find(r.findings, 'kube')!.what).toMatch(/forbidden \(403\): cannot get configmaps .*verbs \["get", "create", "patch"\]/);
    } finally {
      await api.close();
    }
  });

  it('GOPRIVATE without GONOPROXY=none: flagged, and the real go indeed bypasses the proxy', async () => {
    const trap = { GOPROXY: `${stack.urls.go},direct`, GOPRIVATE: `${HOST}/*` };
    const r = await doctor({ ...good, ...trap, GONOSUMDB: undefined }, ['--lang', 'go']);
    expect(r.exitCode).toBe(1);
    const f = find(r.findings, 'go.goprivate-bypass')!;
    expect(f.what).toContain(MOD);
    expect(f.fix).toMatch(/GONOPROXY=none/);
    // The real go with that env: direct fetch of the private host, which fails.
    const home = tmp('go-trap-');
    const bad = await execa('go', ['mod', 'download', '-json', `${MOD}@${version}`], { cwd: home, env: goEnv(home, trap.GOPROXY, { GOPRIVATE: trap.GOPRIVATE, GOSUMDB: undefined }), extendEnv: false, reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/go-get=1|https:\/\/go\.packages\.dev\.ameide\.io|dial tcp|no such host|unrecognized import path/);
    // The fix, verified the same way: go downloads through the proxy, doctor is quiet.
    const fixed = await execa('go', ['mod', 'download', '-json', `${MOD}@${version}`], { cwd: home, env: goEnv(home, trap.GOPROXY, { GOPRIVATE: trap.GOPRIVATE, GONOPROXY: 'none', GOSUMDB: undefined }), extendEnv: false, reject: false });
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    const ok = await doctor({ ...good, ...trap, GONOPROXY: 'none', GONOSUMDB: undefined }, ['--lang', 'go']);
    expect(ok.ids).toEqual([]);
  });

  it('missing GONOSUMDB: flagged, and the real go indeed fails verifying the module', async () => {
    const r = await doctor({ ...good, GONOSUMDB: undefined }, ['--lang', 'go']);
    expect(r.exitCode).toBe(1);
    expect(find(r.findings, 'go.sumdb')).toMatchObject({ level: 'error', fix: `export GONOSUMDB=${HOST}` });
    const home = tmp('go-sumdb-');
    const bad = await execa('go', ['mod', 'download', '-json', `${MOD}@${version}`], { cwd: home, env: goEnv(home, stack.urls.go, { GOSUMDB: undefined, GONOSUMDB: undefined }), extendEnv: false, reject: false });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/sum\.golang\.org|verifying/);
  });

  it('GOWORK not off → a warning (exit 0)', async () => {
    const r = await doctor({ ...good, GOWORK: undefined }, ['--lang', 'go']);
    expect(r.exitCode).toBe(0);
    expect(r.ids).toEqual(['go.gowork']);
  });

  it('a snapshot base that does not sort after the latest release on the registry is flagged', async () => {
    const f = goModuleFixture(MOD, 'v0.1.0');
    track(f.dir);
    expect((await postUpload(stack.urls.go, { module: MOD, version: 'v0.1.0', info: f.info, mod: f.mod, zip: f.zip })).status).toBe(201);
    const r = await doctor(good, ['--lang', 'go']);
    expect(r.exitCode).toBe(1);
    expect(find(r.findings, 'base.go')!.what).toMatch(/snapshot v0\.0\.0-\d{14}-[0-9a-f]{12} does not sort after the latest release v0\.1\.0/);
  });
});
