import { execa } from 'execa';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { goEnv } from '../helpers/go.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { makeRepo, scratchDirs } from '../helpers/repo.js';
import { sampleRecord } from '../helpers/state.js';
import { serializeState } from '../../src/state/files.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();

describe('pin', () => {
  let reg: RegistryProcess;
  let repo: string;
  beforeAll(async () => {
    reg = await startRegistryProcess(['--storage', tmp('reg-'), '--read-api', '--quiet']);
    repo = makeRepo();
    track(repo);
    const r = await runCli(['publish', '--lang', 'go', '--no-push', '-C', repo], { env: { GO_REGISTRY_URL: reg.url, GOPROXY: reg.url, GOSUMDB: 'off', HOME: tmp('home-') } });
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterAll(() => reg?.stop());

  it('--lang go: go mod edit -require from go.json, local replace dropped; the consumer builds with the real go', async () => {
    const state = JSON.parse(readFileSync(join(repo, 'tmp/tilt-packages/go.json'), 'utf8'));
    const work = tmp('consumer-');
    // A consumer developed against a local checkout of the SDK, as in the seed.
    cpSync(join(repo, 'packages/go/ameide-sdk-go'), join(work, 'ameide-sdk-go'), { recursive: true });
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'go.mod'), `module example.com/consumer\n\ngo 1.19\n\nrequire ${MOD} v0.0.0-00010101000000-000000000000\n\nreplace ${MOD} => ../ameide-sdk-go\n`);
    writeFileSync(join(app, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\tsdk "${MOD}"\n)\n\nfunc main() { fmt.Println(sdk.Greet("pinned")) }\n`);
    const before = readFileSync(join(app, 'go.mod'), 'utf8');

    const dry = await runCli(['pin', '--lang', 'go', '--state', join(repo, 'tmp/tilt-packages/go.json'), '--dir', app, '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.edits.map((e: { change: string }) => e.change)).toEqual([`drop replace ${MOD} => ../ameide-sdk-go`, `require ${MOD} v0.0.0-00010101000000-000000000000 → ${state.version}`]);
    expect(readFileSync(join(app, 'go.mod'), 'utf8')).toBe(before);

    const r = await runCli(['pin', '--lang', 'go', '-C', repo, '--dir', app]);
    expect(r.exitCode, r.stderr).toBe(0);
    const gomod = readFileSync(join(app, 'go.mod'), 'utf8');
    expect(gomod).toContain(`require ${MOD} ${state.version}`);
    expect(gomod).not.toContain('replace');

    const env = goEnv(tmp('go-home-'), reg.url);
    const build = await execa('go', ['build', '-o', 'app', '.'], { cwd: app, env, extendEnv: false, reject: false, all: true });
    expect(build.exitCode, build.all).toBe(0);
    expect((await execa(join(app, 'app'))).stdout).toBe('hello, pinned');
    const listed = await execa('go', ['list', '-m', MOD], { cwd: app, env, extendEnv: false });
    expect(listed.stdout).toBe(`${MOD} ${state.version}`);

    const again = await runCli(['pin', '--lang', 'go', '-C', repo, '--dir', app]);
    expect(again.stdout).toMatch(/already pinned/);
  }, 120_000);

  it('--lang ts sets exact versions in package.json; --lang python writes constraints lines', async () => {
    const work = tmp('consumer-');
    const ts = sampleRecord('ts', 9);
    const py = sampleRecord('python', 9);
    writeFileSync(join(work, 'ts.json'), serializeState(ts));
    writeFileSync(join(work, 'python.json'), serializeState(py));
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'c', devDependencies: { '@ameide/sdk': '^0.11.0', left: '1.0.0' } }, null, 4) + '\n');
    writeFileSync(join(work, 'constraints.txt'), '# pins\nAmeide_SDK>=0.0.1\nrequests==2.31.0\n');
    const t = await runCli(['pin', '--lang', 'ts', '--state', join(work, 'ts.json'), '--dir', work]);
    expect(t.exitCode, t.stderr).toBe(0);
    const pkg = readFileSync(join(work, 'package.json'), 'utf8');
    expect(JSON.parse(pkg).devDependencies).toEqual({ '@ameide/sdk': ts.version, left: '1.0.0' });
    expect(pkg).toMatch(/^ {4}"name"/m);
    const p = await runCli(['pin', '--lang', 'python', '--state', join(work, 'python.json'), '--dir', work]);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(readFileSync(join(work, 'constraints.txt'), 'utf8')).toBe(`# pins\nameide-sdk==${py.version}\nrequests==2.31.0\n`);
  });

  it('missing or foreign state → exit 2 with what to do', async () => {
    const work = tmp('consumer-');
    const missing = await runCli(['pin', '--lang', 'go', '--state', join(work, 'nope.json'), '--dir', work]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/no state file .*publish first/);
    writeFileSync(join(work, 'go.json'), serializeState(sampleRecord('ts', 1)));
    const wrong = await runCli(['pin', '--lang', 'go', '--state', join(work, 'go.json'), '--dir', work]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/records language "ts", expected "go"/);
  });
});
