import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { languageById, recordRules } from '../../src/languages/index.js';
import { stateRecordSchema, type StateRecord } from '../../src/state/schema.js';

const StateRecordSchema = stateRecordSchema(recordRules());
import { runCli } from '../helpers/cli.js';
import { CLI, PROJECT_ROOT, makeRepo, scratchDirs } from '../helpers/repo.js';

const { tmp, track } = scratchDirs();

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

describe('npm run demo (= ameide-pkg dev --example --once)', () => {
  it('publishes, smokes and installs all three from one snapshot, prints versions and state, leaves nothing running', async () => {
    const r = await execa('npm', ['run', '--silent', 'demo'], { cwd: PROJECT_ROOT, reject: false, all: true, env: { CI: 'true', NO_COLOR: '1' } });
    expect(r.exitCode, r.all).toBe(0);
    const out = String(r.stdout);
    const versions = [...out.matchAll(/^(ts|python|go)\s+\S+\s+(\S+)\s+ok\s+ok$/gm)].map((m) => [m[1], m[2]]);
    // Every row ends SMOKE ok, CONSUMER ok: npm install, pip download and go build all ran and
    // passed — a missing tool would show "skipped" (npm run setup installs them).
    expect(versions.map((v) => v[0])).toEqual(['ts', 'ts', 'python', 'go']);
    expect(out).not.toMatch(/\bskipped\b/);
    const stamps = new Set(versions.map(([, v]) => /(\d{14})/.exec(v!)![1]));
    expect(stamps.size).toBe(1);
    for (const lang of ['ts', 'python', 'go']) expect(out).toContain(`# tmp/tilt-packages/${lang}.json`);
    expect(out).toMatch(/example published, smoked and installed from one snapshot/);
    // Secrets went to the 0600 file, never to the terminal.
    const secretsFile = /^\. (\S+credentials\.env)/m.exec(out)![1]!;
    expect(String(r.all)).not.toMatch(/NPM_TOKEN=|TWINE_PASSWORD=/);
    // Nothing left: servers refuse connections, the temp storage is gone, no process mentions it.
    const npmUrl = /^export NPM_REGISTRY_URL=(\S+)$/m.exec(out)![1]!;
    const goUrl = /^export GO_REGISTRY_URL=(\S+)$/m.exec(out)![1]!;
    expect(await refused(npmUrl)).toBe(true);
    expect(await refused(`${goUrl}/healthz`)).toBe(true);
    expect(existsSync(secretsFile)).toBe(false);
    const ps = await execa('ps', ['-eo', 'args']);
    expect(ps.stdout).not.toContain(join(secretsFile, '..'));
  }, 180_000);

  it('a missing Python build backend is reported as skipped with the install command, not silently', async () => {
    const r = await runCli(['dev', '--example', '--once', '--json'], { env: { AMEIDE_PKG_PYTHON: '/nonexistent/python3' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.example.skipped).toEqual([{ language: 'python', reason: expect.stringContaining('apt-get install python3-build python3-setuptools python3-wheel') }]);
    expect(r.stderr).toMatch(/python: skipped — .*apt-get install python3-build/);
    expect(Object.keys(r.json.example.languages).sort()).toEqual(['go', 'ts']);
  }, 180_000);
});

describe('publish --lang all against a running `ameide-pkg dev`', () => {
  let dev: ChildProcess;
  let env: Record<string, string>;
  let storage: string;

  beforeAll(async () => {
    storage = tmp('dev-storage-');
    // Run from a monorepo (as developers do): GONOSUMDB comes from its Go modules.
    const here = makeRepo();
    track(here);
    dev = spawn(process.execPath, [CLI, 'dev', '--storage', storage, '-C', here], { env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    env = await new Promise<Record<string, string>>((resolve, reject) => {
      const vars: Record<string, string> = {};
      let err = '';
      dev.stderr!.on('data', (c) => (err += c));
      dev.once('exit', (code) => reject(new Error(`dev exited ${code}: ${err}`)));
      createInterface({ input: dev.stdout! }).on('line', (line) => {
        const m = /^export (\w+)=(\S+)$/.exec(line);
        if (m) vars[m[1]!] = m[2]!;
        const s = /^\. (\S+)/.exec(line);
        if (s) {
          // The secrets file: export lines, mode 0600.
          expect(statSync(s[1]!).mode & 0o777).toBe(0o600);
          for (const l of readFileSync(s[1]!, 'utf8').split('\n')) {
            const e = /^export (\w+)=(.*)$/.exec(l);
            if (e) vars[e[1]!] = e[2]!;
          }
          resolve(vars);
        }
      });
    });
  }, 60_000);
  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGINT');
      await exited;
    }
  });

  it('prints every variable the issue names, and the stack answers', async () => {
    for (const k of ['NPM_REGISTRY_URL', 'GO_REGISTRY_URL', 'GOPROXY', 'GONOSUMDB', 'TWINE_REPOSITORY_URL', 'PIP_INDEX_URL', 'NPM_TOKEN', 'TWINE_USERNAME', 'TWINE_PASSWORD']) expect(env[k], k).toBeTruthy();
    expect((await fetch(`${env.GO_REGISTRY_URL}/readyz`)).status).toBe(200);
    expect((await fetch(`${env.NPM_REGISTRY_URL}-/ping`)).status).toBe(200);
    expect((await fetch(env.PIP_INDEX_URL!)).status).toBe(200);
  });

  it('all three publish concurrently from one snapshot; npm install, pip download and go build all succeed', async () => {
    const repo = makeRepo();
    track(repo);
    const summary = tmp('gh-');
    const r = await runCli(['publish', '--lang', 'all', '--json', '-C', repo], { env: { ...env, HOME: tmp('home-'), GITHUB_STEP_SUMMARY: join(summary, 'summary.md') } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/LANG\s+PACKAGE\s+VERSION\s+DIGEST\s+SMOKE\s+STATE/);
    const records: StateRecord[] = ['ts', 'python', 'go'].map((l) => StateRecordSchema.parse(JSON.parse(readFileSync(join(repo, `tmp/tilt-packages/${l}.json`), 'utf8'))));
    expect(new Set(records.map((x) => `${x.timestamp}/${x.gitSha}`)).size).toBe(1);
    expect(readFileSync(join(summary, 'summary.md'), 'utf8')).toMatch(/\| ts \| @ameide\/sdk \|/);
    for (const rec of records) {
      const c = await languageById(rec.language).consume(rec, env);
      expect(c.ok && !c.skipped, `${rec.language}: ${c.detail}`).toBe(true);
    }
    // `smoke` re-checks the recorded state later: served + installable with the real clients.
    const s = await runCli(['smoke', '--json', '-C', repo], { env: { ...env, HOME: tmp('home-') } });
    expect(s.exitCode, s.stderr + s.stdout).toBe(0);
    expect(s.json.languages.map((l: { language: string; ok: boolean }) => `${l.language}:${l.ok}`)).toEqual(['ts:true', 'python:true', 'go:true']);
  }, 180_000);

  it('with the Python index unreachable, ts and go still publish and record state; python fails; exit 1', async () => {
    const repo = makeRepo(undefined, { date: '2025-11-10T09:00:00Z' });
    track(repo);
    // The index "stopped": its URLs point at a port nothing listens on.
    const down = { TWINE_REPOSITORY_URL: 'http://127.0.0.1:9/pypi/', PIP_INDEX_URL: 'http://127.0.0.1:9/pypi/simple/', AMEIDE_PKG_RETRY_BASE_MS: '10' };
    const r = await runCli(['publish', '--lang', 'all', '--json', '-C', repo], { env: { ...env, ...down, HOME: tmp('home-') } });
    expect(r.exitCode).toBe(1);
    expect(r.json.languages.python).toMatchObject({ ok: false, stage: 'publish' });
    expect(r.json.languages.ts.ok).toBe(true);
    expect(r.json.languages.go.ok).toBe(true);
    expect(existsSync(join(repo, 'tmp/tilt-packages/ts.json'))).toBe(true);
    expect(existsSync(join(repo, 'tmp/tilt-packages/go.json'))).toBe(true);
    expect(existsSync(join(repo, 'tmp/tilt-packages/python.json'))).toBe(false);
    expect(r.stderr).toMatch(/python\s+ameide-sdk\s+\S+\s+\S*\s+-\s+FAILED \(publish\)/);
    // smoke against a GOPROXY that is down fails: exit 1.
    const s = await runCli(['smoke', '--lang', 'go', '--no-install', '--json', '-C', repo], { env: { ...env, GOPROXY: 'http://127.0.0.1:9', HOME: tmp('home-') } });
    expect(s.exitCode).toBe(1);
  }, 180_000);
});
