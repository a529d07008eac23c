import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { EXAMPLE, gitIn, makeRepo, scratchDirs } from '../helpers/repo.js';
import { sampleRecord } from '../helpers/state.js';
import { serializeState } from '../../src/state/files.js';

/**
 * Registry credentials go to the one client that uses them (in-process uploads, npm through a
 * 0600 userconfig), never to git, go, pip or a Python build backend — those run code from the
 * repository or from the network. Wrappers earlier on PATH record the environment each real
 * tool is started with; a setup.py records what the build backend sees.
 */
const { tmp, track } = scratchDirs();

const SECRETS = {
  NPM_TOKEN: 'npm-secret-7f3a9c',
  TWINE_PASSWORD: 'twine-secret-b81e2d',
  GO_REGISTRY_TOKEN: 'go-secret-c0ffee',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-5d1e77',
  AWS_SESSION_TOKEN: 'aws-session-9a9a9a',
};

/** A bin dir whose `tool` dumps its env into `dumps/` and then runs the real one. */
function wrapperDir(dumps: string, tools: string[]): string {
  const bin = tmp('wrap-bin-');
  for (const tool of tools) {
    const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, tool), `#!/bin/sh\nenv > "${dumps}/${tool}.$$"\nexec "${real}" "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return bin;
}

function dumpsOf(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

function expectNoSecret(dumps: string[], what: string) {
  expect(dumps.length, `${what} was never started`).toBeGreaterThan(0);
  for (const d of dumps) for (const [k, v] of Object.entries(SECRETS)) expect(d.includes(v), `${what} saw ${k}`).toBe(false);
}

describe('child processes never see registry credentials', () => {
  let reg: RegistryProcess;
  beforeAll(async () => {
    const auth = join(tmp(), 'auth');
    writeFileSync(auth, `ci-user:${SECRETS.TWINE_PASSWORD}`, { mode: 0o600 });
    reg = await startRegistryProcess(['--storage', tmp('reg-'), '--python', '--python-auth-file', auth, '--quiet']);
  });
  afterAll(() => reg?.stop());

  it('publish --lang python: git, the build backend and pip see no token, and the upload (which needs TWINE_PASSWORD) succeeds', async () => {
    const repo = track(makeRepo(EXAMPLE, { init: false }));
    const dumps = tmp('dumps-');
    // setuptools runs setup.py inside the build backend: the repository's own code.
    writeFileSync(
      join(repo, 'packages/python/ameide_sdk/setup.py'),
      `import json, os\nfrom setuptools import setup\nwith open(os.path.join(${JSON.stringify(dumps)}, "backend.%d" % os.getpid()), "w") as f:\n    json.dump(dict(os.environ), f)\nsetup()\n`,
    );
    gitIn(repo, ['init', '-q', '-b', 'main']);
    gitIn(repo, ['add', '-A']);
    gitIn(repo, ['commit', '-q', '-m', 'example with a curious setup.py']);
    const bin = wrapperDir(dumps, ['git', 'pip']);
    const r = await runCli(['publish', '--lang', 'python', '--json', '-C', repo], {
      env: {
        ...SECRETS,
        PATH: `${bin}:${process.env.PATH}`,
        TWINE_REPOSITORY_URL: `${reg.url}/pypi/`,
        TWINE_USERNAME: 'ci-user',
        PIP_INDEX_URL: `${reg.url}/pypi/simple/`,
        HOME: tmp('home-'),
      },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json.languages.python.packages[0].status).not.toBe('failed');
    for (const v of Object.values(SECRETS)) expect(r.stdout + r.stderr).not.toContain(v);
    const backend = dumpsOf(dumps, 'backend.');
    expectNoSecret(backend, 'the build backend');
    // The scrubbing removed only secrets: the backend still has the usual environment.
    expect(JSON.parse(backend[0]!).PATH).toContain(bin);
    expectNoSecret(dumpsOf(dumps, 'git.'), 'git');
    expectNoSecret(dumpsOf(dumps, 'pip.'), 'pip');
  }, 120_000);

  it('pin --lang go: go sees no token', async () => {
    const work = tmp('pin-go-');
    const dumps = tmp('dumps-');
    writeFileSync(join(work, 'go.mod'), 'module example.com/consumer\n\ngo 1.19\n');
    writeFileSync(join(work, 'go.json'), serializeState(sampleRecord('go', 4)));
    const bin = wrapperDir(dumps, ['go']);
    const r = await runCli(['pin', '--lang', 'go', '--state', join(work, 'go.json'), '--dir', work], { env: { ...SECRETS, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(join(work, 'go.mod'), 'utf8')).toContain(sampleRecord('go', 4).version);
    expectNoSecret(dumpsOf(dumps, 'go.'), 'go');
  });

  it('version: git sees no token', async () => {
    const repo = track(makeRepo());
    const dumps = tmp('dumps-');
    const bin = wrapperDir(dumps, ['git']);
    const r = await runCli(['version', '-C', repo], { env: { ...SECRETS, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.exitCode, r.stderr).toBe(0);
    expectNoSecret(dumpsOf(dumps, 'git.'), 'git');
  });
});
