import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';

/**
 * scripts/setup.sh installs what `npm run demo` needs from the one package list
 * (scripts/packages.sh) that scripts/test.sh and the runner image use too.
 */
const { tmp } = scratchDirs();

/** A PATH with only these tools (so `go` and `git` are "missing") plus a recording apt-get. */
function fakeMachine(): { path: string; aptLog: string } {
  const bin = tmp('setup-bin-');
  for (const tool of ['bash', 'dirname', 'id', 'cat']) {
    const real = execaSyncWhich(tool);
    symlinkSync(real, join(bin, tool));
  }
  const aptLog = join(bin, 'apt.log');
  writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> ${aptLog}\n`);
  chmodSync(join(bin, 'apt-get'), 0o755);
  return { path: bin, aptLog };
}
function execaSyncWhich(tool: string): string {
  return execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}

describe('scripts/setup.sh', () => {
  it('as root with apt-get: installs the demo packages that are missing — and only demo ones', async () => {
    const uid = (await execa('id', ['-u'])).stdout.trim();
    const m = fakeMachine();
    const r = await execa('bash', [join(PROJECT_ROOT, 'scripts/setup.sh')], { env: { PATH: m.path }, extendEnv: false, reject: false });
    if (uid !== '0') {
      // Not root here: it must print the exact command instead.
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/run: sudo apt-get install -y --no-install-recommends .*golang-go/);
      return;
    }
    expect(r.exitCode, r.stderr).toBe(0);
    const calls = readFileSync(m.aptLog, 'utf8').trim().split('\n');
    expect(calls[0]).toBe('update -qq');
    const installed = calls[1]!.split(' ').filter((w) => !w.startsWith('-') && w !== 'install');
    expect(installed).toEqual(expect.arrayContaining(['golang-go', 'git']));
    // Test-only tools are not the demo's business.
    for (const p of ['twine', 'kubernetes-client', 'openssl', 'golang-golang-x-mod-dev']) expect(installed).not.toContain(p);
  });

  it('without root or apt-get: prints the exact command and exits 1; nothing missing: exit 0', async () => {
    const m = fakeMachine();
    // `id -u` answering 1000 makes it "not root".
    writeFileSync(join(m.path, 'id-nonroot'), '#!/bin/sh\necho 1000\n');
    chmodSync(join(m.path, 'id-nonroot'), 0o755);
    rmSync(join(m.path, 'id'));
    renameSync(join(m.path, 'id-nonroot'), join(m.path, 'id'));
    const r = await execa('bash', [join(PROJECT_ROOT, 'scripts/setup.sh')], { env: { PATH: m.path }, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^setup: missing .*golang-go.* — run: sudo apt-get install -y --no-install-recommends .*golang-go.*git/m);
    const here = await execa('bash', [join(PROJECT_ROOT, 'scripts/setup.sh')], { reject: false });
    expect(here.exitCode, here.stderr).toBe(0);
  });

  it('test.sh, setup.sh and the Containerfile share scripts/packages.sh; README starts with setup + demo', () => {
    for (const f of ['scripts/test.sh', 'scripts/setup.sh']) expect(readFileSync(join(PROJECT_ROOT, f), 'utf8')).toMatch(/^source scripts\/packages\.sh$/m);
    expect(readFileSync(join(PROJECT_ROOT, 'Containerfile'), 'utf8')).toContain('packages.sh all runner');
    const test = readFileSync(join(PROJECT_ROOT, 'scripts/test.sh'), 'utf8');
    expect(test).not.toMatch(/missing\+=/);
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(firstBlock.split('\n')[0]).toMatch(/^npm ci && npm run setup && npm run demo\b/);
  });
});
