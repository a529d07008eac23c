import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuildOptions } from '../../scripts/build-options.mjs';
import { startFakeApiServer, type FakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { FIXED_TIMESTAMP, PROJECT_ROOT, gitIn, scratchDirs, writeJson } from '../helpers/repo.js';
import { runCli } from '../helpers/cli.js';

/**
 * A fourth ecosystem in one folder: test/ecosystems/crates/ (a Language) plus the one table
 * row its register.ts adds. The test builds the real CLI bundle with that row and runs every
 * command against the new language — version, publish (dry run and real, against a stub
 * registry), state push/sync/check against the fake apiserver, smoke, doctor, pin — with no
 * file in src/ aware of it. docs/architecture.md §11 lists exactly these files.
 */
const { tmp } = scratchDirs();
const NS = 'ameide';
const TOKEN = 'crates-token-s3cret';

let cli: string;
let registry: Server;
let registryUrl: string;
const stored = new Map<string, Buffer>();
let api: FakeApiServer;
let kubeconfig: string;
let repo: string;
let home: string;

function startRegistry(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      if (url === '/health') return res.writeHead(200).end('ok');
      const version = /^\/crates\/([a-z0-9_-]+)\/([^/]+)$/.exec(url);
      const list = /^\/crates\/([a-z0-9_-]+)$/.exec(url);
      if (req.method === 'PUT' && version) {
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
        const existed = stored.has(url);
        stored.set(url, Buffer.concat(chunks));
        return res.writeHead(existed ? 200 : 201).end();
      }
      if (req.method === 'GET' && version && stored.has(url)) return res.writeHead(200).end(stored.get(url));
      if (req.method === 'GET' && list) {
        const versions = [...stored.keys()].filter((k) => k.startsWith(`${url}/`)).map((k) => k.slice(url.length + 1));
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(versions));
      }
      res.writeHead(404).end();
    });
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const env = (extra: NodeJS.ProcessEnv = {}) => ({ HOME: home, CRATES_REGISTRY_URL: registryUrl, CRATES_TOKEN: TOKEN, KUBECONFIG: kubeconfig, ...extra });

beforeAll(async () => {
  const out = join(PROJECT_ROOT, 'tmp', 'fourth-ecosystem', 'cli.cjs');
  await build(cliBuildOptions(join(PROJECT_ROOT, 'test/ecosystems/crates/cli.ts'), out));
  cli = out;
  registry = await startRegistry();
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
  // A release the snapshot must sort after (doctor's base check).
  stored.set('/crates/hello/1.1.0', Buffer.from('{"name":"hello","version":"1.1.0"}\n'));
  api = await startFakeApiServer({ https: true, token: 'crates-kube-token', namespaces: [NS] });
  home = tmp('crates-home-');
  kubeconfig = api.writeKubeconfig(home, { namespace: NS });
  repo = tmp('crates-repo-');
  writeJson(join(repo, 'ameide-pkg.config.json'), { crates: { crates: [{ dir: 'crates/hello' }] } });
  mkdirSync(join(repo, 'crates/hello'), { recursive: true });
  writeJson(join(repo, 'crates/hello/crate.json'), { name: 'hello', version: '1.2.0' });
  writeFileSync(join(repo, '.gitignore'), 'tmp/\n');
  gitIn(repo, ['init', '-q', '-b', 'main']);
  gitIn(repo, ['add', '-A']);
  gitIn(repo, ['commit', '-q', '-m', 'crates']);
}, 120_000);

afterAll(async () => {
  await new Promise((ok) => registry?.close(ok));
  await api?.close();
});

describe('a fourth ecosystem registered by one table row', () => {
  const sha = () => gitIn(repo, ['rev-parse', 'HEAD']).trim().slice(0, 12);
  const version = () => `1.2.0-dev.${FIXED_TIMESTAMP}.g${sha()}`;
  // The bundle with the crates row, not dist/cli/main.js.
  const crates = (args: string[], extra?: NodeJS.ProcessEnv) => runCli(['-C', repo, ...args], { cli, env: env(extra) });

  it('version: the snapshot version comes from the shared resolver; --lang knows the new id', async () => {
    const r = await crates(['version', '--json', '--lang', 'crates']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.versions).toEqual({ crates: { hello: version() } });
    const help = await crates(['publish', '--help']);
    expect(help.stdout).toMatch(/--crates-strict/);
    expect(help.stdout).toMatch(/crates\s+CRATES_REGISTRY_URL, CRATES_TOKEN; smoke: CRATES_REGISTRY_URL/);
  });

  it('publish --dry-run sends nothing and writes no state; a missing variable is exit 2 naming it', async () => {
    const dry = await crates(['publish', '--dry-run', '--json', '--lang', 'crates']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.languages.crates.packages).toEqual([expect.objectContaining({ name: 'hello', version: version(), status: 'dry-run', details: { bytes: expect.any(Number) } })]);
    expect([...stored.keys()]).toEqual(['/crates/hello/1.1.0']);
    expect(existsSync(join(repo, 'tmp/tilt-packages/crates.json'))).toBe(false);
    const missing = await crates(['publish', '--lang', 'crates', '--no-push'], { CRATES_TOKEN: '' });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/missing environment for crates publish: CRATES_TOKEN/);
  });

  it('publish → smoke (with its own flag) → state file; the token never appears in output', async () => {
    const r = await crates(['publish', '--json', '--lang', 'crates', '--no-push', '--crates-strict']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lang = r.json.languages.crates;
    expect(lang).toMatchObject({ ok: true, stage: 'done', registry: registryUrl, stateFile: 'tmp/tilt-packages/crates.json' });
    expect(lang.smoke.checks.map((c: { name: string }) => c.name)).toEqual([`hello@${version()} served`, 'strict']);
    expect(stored.has(`/crates/hello/${version()}`)).toBe(true);
    const record = JSON.parse(readFileSync(join(repo, 'tmp/tilt-packages/crates.json'), 'utf8'));
    expect(record).toMatchObject({ schemaVersion: 1, language: 'crates', version: version(), packages: [{ name: 'hello', version: version(), digest: expect.stringMatching(/^crate-sha256:[0-9a-f]{64}$/) }] });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('state push | check | sync against the fake apiserver', async () => {
    const file = join(repo, 'tmp/tilt-packages/crates.json');
    const push = await crates(['state', 'push', '--lang', 'crates', '--json']);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(api.configMap(NS, 'crates-packages-state')?.data?.['crates.json']).toBe(readFileSync(file, 'utf8'));
    const check = await crates(['state', 'check', '--lang', 'crates', '--registry', '--json']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.json).toMatchObject({ ok: true, findings: [] });
    const before = readFileSync(file, 'utf8');
    rmSync(file);
    const drift = await crates(['state', 'check', '--lang', 'crates', '--json']);
    expect(drift.exitCode).toBe(3);
    expect(drift.json.findings).toEqual([expect.objectContaining({ language: 'crates', kind: 'missing-local', fix: 'ameide-pkg state sync --lang crates' })]);
    const sync = await crates(['state', 'sync', '--lang', 'crates']);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a hostile record for the new language is refused by its own rule (exit 2, nothing written)', async () => {
    const file = join(repo, 'tmp/tilt-packages/crates.json');
    const good = readFileSync(file, 'utf8');
    api.putConfigMap(NS, 'crates-packages-state', { 'crates.json': good.replace(/"name": "hello"/, '"name": "Hello World"') });
    const sync = await crates(['state', 'sync', '--lang', 'crates']);
    expect(sync.exitCode).toBe(2);
    expect(sync.stderr).toMatch(/"Hello World" is not a crate name/);
    expect(readFileSync(file, 'utf8')).toBe(good);
    api.putConfigMap(NS, 'crates-packages-state', { 'crates.json': good });
  });

  it('smoke re-checks the record with the language consumer', async () => {
    const r = await crates(['smoke', '--lang', 'crates', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.languages[0]).toMatchObject({ language: 'crates', ok: true, consumer: { language: 'crates', ok: true } });
  });

  it('doctor asks the language: env, registry health, the base against the latest release', async () => {
    const r = await crates(['doctor', '--json', '--lang', 'crates']);
    expect(r.json, r.stderr).toBeDefined();
    const byId = (id: string) => r.json.findings.filter((f: { id: string }) => f.id === id);
    expect(byId('env.crates')).toEqual([expect.objectContaining({ level: 'ok' })]);
    expect(byId('health.crates')).toEqual([expect.objectContaining({ level: 'ok', what: expect.stringContaining(`${registryUrl}/health`) })]);
    expect(byId('base.crates')).toEqual([expect.objectContaining({ level: 'ok', what: expect.stringContaining('sorts after the latest release 1.1.0') })]);
    expect(r.exitCode).toBe(0);
  });

  it('pin writes what the record says, --dry-run shows it first', async () => {
    const consumer = tmp('crates-consumer-');
    const dry = await crates(['pin', '--lang', 'crates', '--dir', consumer, '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.edits).toEqual([{ file: 'crates.lock', change: `pin ${version()}` }]);
    expect(existsSync(join(consumer, 'crates.lock'))).toBe(false);
    const pin = await crates(['pin', '--lang', 'crates', '--dir', consumer]);
    expect(pin.exitCode, pin.stderr).toBe(0);
    expect(readFileSync(join(consumer, 'crates.lock'), 'utf8')).toBe(`hello = ${version()}\n`);
  });

  it('the product CLI does not know the test language', async () => {
    const r = await runCli(['-C', repo, 'version', '--json'], { env: env() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown key\(s\) crates/);
  });
});
