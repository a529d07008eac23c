import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, makeRepo, scratchDirs } from '../helpers/repo.js';

/**
 * The npm package as users get it: `npm pack` of this checkout, installed with the real npm
 * into an empty project (dependencies from the registry, the optional Verdaccio peer left
 * out), then run from there. One install for the whole file: it is the slow part.
 */
const { tmp, track } = scratchDirs();
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

let tarball: string;
let entries: string[];
let project: string;
let bin: string;
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execa(bin, args, { cwd: project, reject: false, extendEnv: false, env: { PATH: process.env.PATH, HOME: project, CI: 'true', NO_COLOR: '1', ...env } });

beforeAll(async () => {
  const out = tmp('ameide-pack-');
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of test files running in
  // parallel; the suite runs against the built dist/ anyway, and the assertions below check
  // that the tarball has it.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: PROJECT_ROOT });
  const info = JSON.parse(packed.stdout)[0] as { filename: string; files: { path: string }[] };
  tarball = join(out, info.filename);
  entries = info.files.map((f) => f.path);

  project = tmp('ameide-consumer-');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'ci-consumer', version: '1.0.0', private: true }));
  const inst = await execa('npm', ['install', '--no-audit', '--no-fund', '--omit=peer', '--loglevel=error', tarball], { cwd: project, reject: false, all: true });
  expect(inst.exitCode, inst.all).toBe(0);
  bin = join(project, 'node_modules', '.bin', 'ameide-pkg');
}, 240_000);

describe('npm pack → npm install <tarball> in an empty project', () => {
  it('ships the built bundle, schema, examples, README and LICENSE — no sources, tests or fixtures', () => {
    for (const f of ['dist/cli/main.js', 'schema/ameide-pkg.config.schema.json', 'README.md', 'LICENSE', 'package.json', 'examples/github-actions/publish.yml']) expect(entries, f).toContain(f);
    expect(entries.filter((f) => /^(src|test|fixtures|scripts|deploy)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(readFileSync(join(project, 'node_modules', pkg.name, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
  });

  it('`npx ameide-pkg --version` prints the package.json version; the optional Verdaccio peer is not installed', async () => {
    const r = await execa('npx', ['--no-install', 'ameide-pkg', '--version'], { cwd: project, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(existsSync(join(project, 'node_modules', 'verdaccio'))).toBe(false);
  });

  it('every command and subcommand answers --help', async () => {
    const top = await run(['--help']);
    expect(top.exitCode).toBe(0);
    const commands = commandNames(top.stdout);
    expect(commands).toEqual(expect.arrayContaining(['version', 'publish', 'smoke', 'state', 'registry', 'dev', 'doctor', 'gc', 'pin']));
    for (const c of commands) {
      const h = await run([c, '--help']);
      expect(h.exitCode, `${c}: ${h.stderr}`).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: ameide-pkg ${c}`));
      for (const sub of commandNames(h.stdout)) {
        const s = await run([c, sub, '--help']);
        expect(s.exitCode, `${c} ${sub}: ${s.stderr}`).toBe(0);
        expect(s.stdout).toMatch(new RegExp(`^Usage: ameide-pkg ${c} ${sub}`));
      }
    }
  });

  it('`version -C <example copy> --json` gives what the checkout gives', async () => {
    const repo = track(makeRepo());
    const installed = await run(['version', '-C', repo, '--json']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    const here = await runCli(['version', '-C', repo, '--json']);
    expect(JSON.parse(installed.stdout)).toEqual(here.json);
    expect(Object.keys(JSON.parse(installed.stdout).versions).sort()).toEqual(['go', 'python', 'ts']);
  });

  it('`registry serve`: first stdout line, /healthz, GET /version, SIGTERM → exit 0', async () => {
    const storage = tmp('ameide-pack-storage-');
    const proc = spawn(bin, ['registry', 'serve', '--storage', storage, '--port', '0', '--quiet'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const url = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
    expect(url, first).toBeTruthy();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(((await (await fetch(`${url}/version`)).json()) as { version: string }).version).toBe(pkg.version);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('`dev` without the Verdaccio peer: exit 2 naming the exact install command; `dev --example` explains the checkout', async () => {
    const r = await run(['dev', '--once']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`npm install --save-dev 'verdaccio@${JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).peerDependencies.verdaccio}'`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const ex = await run(['dev', '--example', '--once']);
    expect(ex.exitCode).toBe(2);
    expect(ex.stderr).toMatch(/needs a checkout of the ameide-pkg repository/);
  });

  it('the cluster client imports from the installed tree (no undici that needs a newer Node)', async () => {
    // `state check` loads @kubernetes/client-node; an unreachable server is a clean exit 1.
    const repo = track(makeRepo());
    const kube = join(tmp('ameide-pack-kube-'), 'kubeconfig');
    writeFileSync(kube, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'ameide' } }], 'current-context': 'c' }));
    const r = await run(['state', 'check', '-C', repo, '--lang', 'go'], { KUBECONFIG: kube });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the API server https:\/\/127\.0\.0\.1:9/);
  });
});

/** Command names from commander's help ("Commands:" section). */
function commandNames(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}
