import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { FIXED_TIMESTAMP, gitIn, makeRepo, tempDir, scratchDirs } from '../helpers/repo.js';

const { track } = scratchDirs();

describe('ameide-pkg version (built binary, example monorepo)', () => {
  const repo = makeRepo();
  track(repo);
  const sha = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);

  it('prints one JSON document with every language from one snapshot', async () => {
    const r = await runCli(['version', '--json', '-C', repo]);
    expect(r.exitCode).toBe(0);
    expect(r.json).toEqual({
      timestamp: FIXED_TIMESTAMP,
      gitSha: sha,
      timeSource: 'commit',
      dirty: false,
      versions: {
        ts: {
          '@ameide/sdk': `0.12.0-dev.${FIXED_TIMESTAMP}.${sha.match(/^0\d+$/) ? 'g' + sha : sha}`,
          '@ameide/sdk-react': `0.3.0-dev.${FIXED_TIMESTAMP}.${sha.match(/^0\d+$/) ? 'g' + sha : sha}`,
        },
        python: { 'ameide-sdk': `0.1.0.dev${FIXED_TIMESTAMP}+g${sha}` },
        go: { 'go.packages.dev.ameide.io/ameide-sdk-go': `v0.0.0-${FIXED_TIMESTAMP}-${sha}` },
      },
    });
  });

  it('accepts global options before or after the subcommand', async () => {
    const a = await runCli(['-C', repo, '--json', 'version', '--lang', 'go']);
    const b = await runCli(['version', '--lang', 'go', '--json', '--cwd', repo]);
    expect(a.exitCode).toBe(0);
    expect(a.json).toEqual(b.json);
    expect(Object.keys(a.json.versions)).toEqual(['go']);
  });

  it('prints a table for people', async () => {
    const r = await runCli(['version', '-C', repo]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/LANG\s+PACKAGE\s+VERSION/);
    expect(r.stdout).toContain(`v0.0.0-${FIXED_TIMESTAMP}-${sha}`);
  });

  it('applies overrides and exits 2 naming an invalid one', async () => {
    const ok = await runCli(['version', '--json', '-C', repo], { env: { AMEIDE_GO_SDK_VERSION: 'v0.4.0', AMEIDE_TS_SDK_VERSION: '0.12.1' } });
    expect(ok.json.versions.go['go.packages.dev.ameide.io/ameide-sdk-go']).toBe('v0.4.0');
    expect(ok.json.versions.ts['@ameide/sdk-react']).toBe('0.12.1');
    const bad = await runCli(['version', '--json', '-C', repo], { env: { AMEIDE_PYTHON_SDK_VERSION: 'one.two' } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/AMEIDE_PYTHON_SDK_VERSION/);
    expect(bad.json).toMatchObject({ ok: false, exitCode: 2 });
  });

  it('exits 2 on a dirty tree unless --allow-dirty', async () => {
    const dirty = makeRepo();
    track(dirty);
    writeFileSync(join(dirty, 'packages/go/ameide-sdk-go/extra.go'), 'package ameidesdk\n');
    const r = await runCli(['version', '-C', dirty]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--allow-dirty/);
    const ok = await runCli(['version', '--json', '--allow-dirty', '-C', dirty]);
    expect(ok.exitCode).toBe(0);
    expect(ok.json).toMatchObject({ dirty: true, timeSource: 'now' });
  });

  it('exits 2 for bad usage and a missing config', async () => {
    expect((await runCli(['version', '--lang', 'rust', '-C', repo])).exitCode).toBe(2);
    const empty = tempDir();
    track(empty);
    const r = await runCli(['version', '-C', empty]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/ameide-pkg.config.json/);
    expect((await runCli(['--help'])).exitCode).toBe(0);
  });
});
