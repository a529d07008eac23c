import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { makeRepo, scratchDirs } from '../helpers/repo.js';
import { sampleRecord } from '../helpers/state.js';
import { serializeState } from '../../src/state/files.js';
import type { StateRecord } from '../../src/state/schema.js';

/**
 * A state record is input from outside (a ConfigMap anyone with `patch` can write, a file in
 * a checkout): every command that reads one refuses a name or version its ecosystem would not
 * accept, with exit 2, before writing anything.
 */
const { tmp, track } = scratchDirs();
const NS = 'ameide';

/** A sample record whose one package has the given name and/or version. */
function hostile(language: 'go' | 'ts' | 'python', pkg: { name?: string; version?: string }): StateRecord {
  const r = sampleRecord(language, 3);
  const p = { ...r.packages[0]!, ...pkg };
  return { ...r, version: p.version, packages: [p] };
}

const EVIL_PY_NAME = 'ameide-sdk\n--extra-index-url http://evil.invalid/simple';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('hostile state records are refused (exit 2, nothing written)', () => {
  it('pin --lang python: a name carrying a newline never reaches constraints.txt', async () => {
    const work = tmp('pin-py-');
    writeFileSync(join(work, 'python.json'), serializeState(hostile('python', { name: EVIL_PY_NAME })));
    writeFileSync(join(work, 'constraints.txt'), 'requests==2.31.0\n');
    const r = await runCli(['pin', '--lang', 'python', '--state', join(work, 'python.json'), '--dir', work]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/not a valid Python distribution name/);
    expect(readFileSync(join(work, 'constraints.txt'), 'utf8')).toBe('requests==2.31.0\n');
    // A PEP 440-invalid version is refused the same way.
    writeFileSync(join(work, 'python.json'), serializeState(hostile('python', { version: '1.0 ; extra == "x"' })));
    const v = await runCli(['pin', '--lang', 'python', '--state', join(work, 'python.json'), '--dir', work]);
    expect(v.exitCode).toBe(2);
    expect(oneLine(v.stderr)).toMatch(/not a valid PEP 440 version/);
    expect(readFileSync(join(work, 'constraints.txt'), 'utf8')).toBe('requests==2.31.0\n');
  });

  it('pin --lang ts: file:, git+http: and range "versions" never reach package.json', async () => {
    const work = tmp('pin-ts-');
    const pkg = JSON.stringify({ name: 'c', dependencies: { '@ameide/sdk': '0.11.0' } }, null, 2) + '\n';
    writeFileSync(join(work, 'package.json'), pkg);
    for (const version of ['file:../../etc', 'git+http://evil.invalid/sdk.git', '^0.12.0', 'latest']) {
      writeFileSync(join(work, 'ts.json'), serializeState(hostile('ts', { version })));
      const r = await runCli(['pin', '--lang', 'ts', '--state', join(work, 'ts.json'), '--dir', work]);
      expect(r.exitCode, `${version}: ${r.stderr}`).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/not a valid semver version/);
      expect(readFileSync(join(work, 'package.json'), 'utf8')).toBe(pkg);
    }
    writeFileSync(join(work, 'ts.json'), serializeState(hostile('ts', { name: '../../etc/passwd' })));
    const n = await runCli(['pin', '--lang', 'ts', '--state', join(work, 'ts.json'), '--dir', work]);
    expect(n.exitCode).toBe(2);
    expect(oneLine(n.stderr)).toMatch(/not a valid npm package name/);
    expect(readFileSync(join(work, 'package.json'), 'utf8')).toBe(pkg);
  });

  it('pin --lang go: "latest" or a bad module path never reaches go.mod', async () => {
    const work = tmp('pin-go-');
    const gomod = 'module example.com/consumer\n\ngo 1.19\n';
    writeFileSync(join(work, 'go.mod'), gomod);
    for (const pkg of [{ version: 'latest' }, { version: 'v1.2' }, { name: 'go.packages.dev.ameide.io/../x' }, { name: '-mod=vendor' }]) {
      writeFileSync(join(work, 'go.json'), serializeState(hostile('go', pkg)));
      const r = await runCli(['pin', '--lang', 'go', '--state', join(work, 'go.json'), '--dir', work]);
      expect(r.exitCode, `${JSON.stringify(pkg)}: ${r.stderr}`).toBe(2);
      expect(oneLine(r.stderr)).toMatch(pkg.version ? /not a canonical Go version/ : /not a valid Go module path/);
      expect(readFileSync(join(work, 'go.mod'), 'utf8')).toBe(gomod);
    }
  });

  it('gc --keep-file refuses a hostile record', async () => {
    const storage = tmp('gc-keep-');
    const keep = join(tmp(), 'go.json');
    writeFileSync(keep, serializeState(hostile('go', { version: 'latest' })));
    const r = await runCli(['gc', '--storage', storage, '--keep-file', keep]);
    expect(r.exitCode).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--keep-file .*not a canonical Go version/);
  });

  it('smoke refuses a hostile record before asking any registry', async () => {
    const repo = track(makeRepo());
    const state = join(tmp(), 'go.json');
    writeFileSync(state, serializeState(hostile('go', { name: 'go.packages.dev.ameide.io/ameide-sdk-go\nbad' })));
    // Port 9 (discard) is never contacted: the record is refused first.
    const r = await runCli(['smoke', '--lang', 'go', '--state', state, '--no-install', '-C', repo], { env: { GOPROXY: 'http://127.0.0.1:9', GONOSUMDB: 'go.packages.dev.ameide.io' } });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/not a valid Go module path/);
  });

  describe('state sync', () => {
    let api: FakeApiServer;
    let kubeconfig: string;
    let home: string;
    beforeAll(async () => {
      home = tmp('kube-home-');
      api = await startFakeApiServer({ namespaces: [NS] });
      kubeconfig = api.writeKubeconfig(home);
    });
    afterAll(() => api?.close());

    it('refuses a ConfigMap value with a hostile package, naming ConfigMap and key; nothing written', async () => {
      const repo = track(makeRepo());
      api.putConfigMap(NS, 'python-packages-state', { 'python.json': serializeState(hostile('python', { name: EVIL_PY_NAME })) });
      api.putConfigMap(NS, 'ts-packages-state', { 'ts.json': serializeState(hostile('ts', { version: 'file:../../etc' })) });
      for (const [lang, cm, key, why] of [
        ['python', 'python-packages-state', 'python.json', /not a valid Python distribution name/],
        ['ts', 'ts-packages-state', 'ts.json', /not a valid semver version/],
      ] as const) {
        const r = await runCli(['state', 'sync', '--lang', lang, '-C', repo], { env: { KUBECONFIG: kubeconfig, HOME: home } });
        expect(r.exitCode, r.stderr).toBe(2);
        const line = r.stderr.split('\n').find((l) => l.includes(`${lang}: ConfigMap`)) ?? '';
        expect(line, r.stderr).toContain(`ConfigMap ${cm} key ${key}`);
        expect(line).toMatch(why);
        expect(line).toMatch(/not written/);
      }
      expect(existsSync(join(repo, 'tmp/tilt-packages'))).toBe(false);
    });
  });
});

describe('gc --module is a module path inside the storage root', () => {
  it('refuses ../x and Example.com/../../x with exit 2; a version-shaped dir outside the root survives', async () => {
    const base = tmp('gc-confine-');
    const storage = join(base, 'storage');
    mkdirSync(storage);
    // What gc would count as a committed version: a canonical version dir with the 3 Athens files.
    const version = 'v0.0.0-20200101000000-aaaaaaaaaaaa';
    const victims = [join(base, 'x', version)];
    for (const dir of victims) {
      mkdirSync(dir, { recursive: true });
      for (const f of ['go.mod', 'source.zip', `${version}.info`]) writeFileSync(join(dir, f), f === 'go.mod' ? 'module x\n' : '{}');
    }
    for (const module of ['../x', 'Example.com/../../x', 'example.com/../../x']) {
      const r = await runCli(['gc', '--storage', storage, '--module', module, '--keep', '0']);
      expect(r.exitCode, `${module}: ${r.stderr}`).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/--module .*not a valid Go module path/);
    }
    for (const dir of victims) expect(existsSync(join(dir, 'go.mod')), dir).toBe(true);
  });
});
