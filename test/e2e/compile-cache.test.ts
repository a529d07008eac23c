import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratchDirs } from '../helpers/repo.js';

/**
 * The executable runs the bundle through a V8 code cache (src/cli/bin.ts). What must hold: the
 * cache lives only in a directory the user owns and nobody else can write, there is one per
 * command, each is written once and then used as is, a corrupt one is replaced, and nothing
 * about it can fail a command.
 */
const { tmp } = scratchDirs();
const version = (cacheHome: string, extra: NodeJS.ProcessEnv = {}) => runCli(['--version'], { env: { XDG_CACHE_HOME: cacheHome, ...extra } });
const files = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

describe('compile cache of the executable', () => {
  it('is written once into a private directory and then reused unchanged', async () => {
    const home = tmp('cc-');
    const first = await version(home);
    expect(first.exitCode, first.stderr).toBe(0);
    const dir = join(home, 'ameide-pkg');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [cache] = files(dir);
    expect(cache).toMatch(/^[0-9a-f]{16}-cli-v\d+\.\d+\.\d+-\w+\.v8cache$/);
    expect(statSync(join(dir, cache!)).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(join(dir, cache!));
    const second = await version(home);
    expect(second.stdout).toBe(first.stdout);
    // Accepted by V8, so not rewritten: the same bytes, and no temp file left.
    expect(readFileSync(join(dir, cache!)).equals(bytes)).toBe(true);
    expect(files(dir)).toEqual([cache]);
  });

  it('keeps one cache per command, and drops only caches of other builds', async () => {
    // What a run compiles lazily depends on the command: a cache written by `registry` (say,
    // the first command run after an install) would leave `version` compiling its own code on
    // every run, for as long as that build is installed.
    const home = tmp('cc-');
    const dir = join(home, 'ameide-pkg');
    mkdirSync(dir, { mode: 0o700 });
    // Another build for this very node, and (below) this build for another node: both go.
    const otherBuild = `0123456789abcdef-version-${process.version}-${process.arch}.v8cache`;
    writeFileSync(join(dir, otherBuild), 'a cache of another build', { mode: 0o600 });
    expect((await runCli(['registry', '--help'], { env: { XDG_CACHE_HOME: home } })).exitCode).toBe(0);
    expect((await runCli(['version', '--help'], { env: { XDG_CACHE_HOME: home } })).exitCode).toBe(0);
    const [thisBuild] = files(dir).filter((f) => f !== otherBuild);
    const otherNode = thisBuild!.replace(/-v\d+\.\d+\.\d+-/, '-v0.0.1-').replace('-registry-', '-version-');
    writeFileSync(join(dir, otherNode), 'a cache of this build for another node', { mode: 0o600 });
    expect((await version(home)).exitCode).toBe(0);
    const caches = files(dir).sort();
    expect(caches.map((f) => f.replace(/^[0-9a-f]{16}-(\w+)-v.*$/, '$1'))).toEqual(['cli', 'registry', 'version']);
    expect(new Set(caches.map((f) => f.slice(0, 16))).size, 'all of this build').toBe(1);
  });

  it('removes temp files a killed run left behind, not those a concurrent run is writing', async () => {
    const home = tmp('cc-');
    const dir = join(home, 'ameide-pkg');
    mkdirSync(dir, { mode: 0o700 });
    const cache = `0123456789abcdef-version-${process.version}-${process.arch}.v8cache`;
    const stale = join(dir, `${cache}.4242.tmp`);
    const fresh = join(dir, `${cache}.4343.tmp`);
    writeFileSync(stale, 'half a cache', { mode: 0o600 });
    writeFileSync(fresh, 'a cache being written', { mode: 0o600 });
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    expect((await version(home)).exitCode).toBe(0);
    expect(existsSync(stale), 'stale temp file').toBe(false);
    expect(existsSync(fresh), 'a temp file as young as a run').toBe(true);
  });

  it('replaces a corrupt cache and still runs', async () => {
    const home = tmp('cc-');
    await version(home);
    const dir = join(home, 'ameide-pkg');
    const [cache] = files(dir);
    writeFileSync(join(dir, cache!), 'not a code cache');
    const r = await version(home);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(join(dir, cache!), 'utf8')).not.toBe('not a code cache');
  });

  it('never uses a directory others can write, and never fails because of the cache', async () => {
    const home = tmp('cc-');
    const open = join(home, 'ameide-pkg');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const r = await version(home);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(files(open)).toEqual([]);
    const blocked = tmp('cc-');
    writeFileSync(join(blocked, 'ameide-pkg'), 'a file where the directory would go');
    const b = await version(blocked);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr).toBe('');
  });

  it('AMEIDE_PKG_NO_COMPILE_CACHE=1 writes nothing', async () => {
    const home = tmp('cc-');
    const r = await version(home, { AMEIDE_PKG_NO_COMPILE_CACHE: '1' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(files(join(home, 'ameide-pkg'))).toEqual([]);
  });
});
