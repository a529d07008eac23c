import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXED_TIMESTAMP, gitIn, makeRepo, scratchDirs } from '../helpers/repo.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { recordRules } from '../../src/languages/index.js';
import { stateRecordSchema } from '../../src/state/schema.js';

const StateRecordSchema = stateRecordSchema(recordRules());

const { tmp, track } = scratchDirs();

describe('publish --lang ts against a real Verdaccio', () => {
  let v: Verdaccio;
  let token: string;
  beforeAll(async () => {
    v = await startVerdaccio();
    token = await v.addUser('ci-bot', 'ci-bot-password');
    // A real release published before any snapshot: `latest` must never move.
    const rel = tmp('release-');
    writeFileSync(join(rel, 'package.json'), JSON.stringify({ name: '@ameide/sdk', version: '0.11.0', main: 'index.js' }));
    writeFileSync(join(rel, 'index.js'), 'exports.greet = () => "release";\n');
    const npmrc = join(rel, '.npmrc-test');
    writeFileSync(npmrc, `//127.0.0.1:${new URL(v.url).port}/:_authToken=${token}\n`, { mode: 0o600 });
    const pub = await execa('npm', ['publish', '--registry', v.url, '--userconfig', npmrc], { cwd: rel, reject: false, all: true });
    expect(pub.exitCode, pub.all).toBe(0);
  }, 120_000);
  afterAll(() => v.close());

  const env = () => ({ NPM_REGISTRY_URL: v.url, NPM_TOKEN: token, HOME: tmp('home-') });
  const packument = async (name: string) => (await fetch(`${v.url}${name.replace('/', '%2f')}`)).json() as Promise<any>;

  it('publishes both packages with exact internal snapshot deps; a consumer installs them; repo untouched', async () => {
    const repo = makeRepo();
    track(repo);
    const sha = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);
    const id = /^0\d+$/.test(sha) ? `g${sha}` : sha;
    const sdkV = `0.12.0-dev.${FIXED_TIMESTAMP}.${id}`;
    const reactV = `0.3.0-dev.${FIXED_TIMESTAMP}.${id}`;
    const r = await runCli(['publish', '--lang', 'ts', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(token);
    expect(gitIn(repo, ['status', '--porcelain'])).toBe('');
    const state = StateRecordSchema.parse(JSON.parse(readFileSync(join(repo, 'tmp/tilt-packages/ts.json'), 'utf8')));
    expect(state.packages.map((p) => [p.name, p.version])).toEqual([
      ['@ameide/sdk', sdkV],
      ['@ameide/sdk-react', reactV],
    ]);
    expect(state.packages[0]!.digest).toMatch(/^sha512-/);

    const consumer = tmp('consumer-');
    writeFileSync(join(consumer, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}');
    const inst = await execa('npm', ['install', `@ameide/sdk-react@${reactV}`, '--registry', v.url, '--no-audit', '--no-fund'], { cwd: consumer, reject: false, all: true, env: { ...process.env, npm_config_userconfig: '/dev/null' } });
    expect(inst.exitCode, inst.all).toBe(0);
    const run = await execa('node', ['-e', 'console.log(require("@ameide/sdk-react").useGreeting("npm"))'], { cwd: consumer });
    expect(run.stdout).toBe('hello, npm');
    const ls = await execa('npm', ['ls', '@ameide/sdk', '--json'], { cwd: consumer, env: { ...process.env, npm_config_userconfig: '/dev/null' } });
    expect(JSON.parse(ls.stdout).dependencies['@ameide/sdk-react'].dependencies['@ameide/sdk'].version).toBe(sdkV);

    const doc = await packument('@ameide/sdk');
    expect(doc['dist-tags']).toMatchObject({ latest: '0.11.0', dev: sdkV });

    // Re-run on the same commit: nothing published twice.
    const again = await runCli(['publish', '--lang', 'ts', '--json', '-C', repo], { env: env() });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.languages.ts.packages.map((p: { status: string }) => p.status)).toEqual(['already-present', 'already-present']);

    // A newer commit: dev moves to the newer snapshot, latest stays on the release.
    gitIn(repo, ['commit', '-q', '--allow-empty', '-m', 'next'], '2025-11-07T09:00:00Z');
    const next = await runCli(['publish', '--lang', 'ts', '-C', repo], { env: env() });
    expect(next.exitCode, next.stderr).toBe(0);
    const sha2 = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);
    const doc2 = await packument('@ameide/sdk');
    expect(doc2['dist-tags'].latest).toBe('0.11.0');
    expect(doc2['dist-tags'].dev).toBe(`0.12.0-dev.20251107090000.${/^0\d+$/.test(sha2) ? 'g' + sha2 : sha2}`);
    // sdk-react had no release, so its first publish may set latest — never to a changed one.
    const react = await packument('@ameide/sdk-react');
    expect(react['dist-tags'].dev).toMatch(/^0\.3\.0-dev\.20251107090000\./);
  });

  it('bad token → exit 1 with the registry reason and the token nowhere in the output', async () => {
    const repo = makeRepo(undefined, { date: '2025-12-01T00:00:00Z' });
    track(repo);
    const bad = 'bogus-token-0123456789';
    const r = await runCli(['publish', '--lang', 'ts', '-C', repo], { env: { ...env(), NPM_TOKEN: bad } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/npm publish .* failed: .*(401|403|auth|Unauthorized|E401|E403)/i);
    expect(r.stdout + r.stderr).not.toContain(bad);
    expect(existsSync(join(repo, 'tmp/tilt-packages/ts.json'))).toBe(false);
  });

  it('registry down → exit 1, no ts.json; missing NPM_REGISTRY_URL → exit 2', async () => {
    const repo = makeRepo(undefined, { date: '2025-12-02T00:00:00Z' });
    track(repo);
    const r = await runCli(['publish', '--lang', 'ts', '-C', repo], { env: { ...env(), NPM_REGISTRY_URL: 'http://127.0.0.1:9/' } });
    expect(r.exitCode).toBe(1);
    expect(existsSync(join(repo, 'tmp/tilt-packages/ts.json'))).toBe(false);
    const r2 = await runCli(['publish', '--lang', 'ts', '-C', repo], { env: { NPM_TOKEN: 'x', HOME: tmp() } });
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/NPM_REGISTRY_URL/);
  });
});
