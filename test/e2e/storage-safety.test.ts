import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { STALE_MS } from '../../src/util/fslock.js';
import { runCli } from '../helpers/cli.js';
import { goEnv } from '../helpers/go.js';
import { postUpload, startRegistryProcess, storedFiles } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

/**
 * Storage-side guarantees of the Go registry: names the filesystem cannot hold are a 400, never
 * a 500 or a half-written tree; no module ever lands inside another module's Athens version
 * directory, whichever upload comes first and even when both race on two replicas; gc and
 * start-up recovery find every module and touch only their own; odd files in the tree get a
 * clean 409 that names no server path.
 */
const { tmp, track } = scratchDirs();

const fixtures = new Map<string, GoModuleFixture>();
function fx(module: string, version: string): GoModuleFixture {
  const key = `${module}@${version}`;
  let f = fixtures.get(key);
  if (!f) {
    f = goModuleFixture(module, version);
    track(f.dir);
    fixtures.set(key, f);
  }
  return f;
}
const up = (url: string, f: GoModuleFixture) => postUpload(url, { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip });

async function goDownload(proxy: string, module: string, version: string): Promise<{ ok: boolean; sum?: string; out: string }> {
  const home = tmp('gohome-');
  const r = await execa('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: home, env: goEnv(home, proxy), extendEnv: false, reject: false });
  let sum: string | undefined;
  try {
    sum = JSON.parse(r.stdout).Sum;
  } catch {
    /* not JSON */
  }
  return { ok: r.exitCode === 0, sum, out: r.stdout + r.stderr };
}

/** Entries of the Athens version directory, [] when absent. */
const athensEntries = (root: string, module: string, version: string) => {
  const d = join(root, ...module.split('/'), version);
  return existsSync(d) ? readdirSync(d).sort() : [];
};
const ATHENS_FILES = (v: string) => ['go.mod', 'source.zip', `${v}.info`].sort();

/** Every file below `dir`, relative, with its bytes (to prove a tree was not touched). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[rel + e.name] = readFileSync(join(d, e.name)).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

describe('storage: names the filesystem cannot hold', () => {
  let reg: RunningRegistry & { root: string };
  beforeAll(async () => {
    const root = tmp('names-');
    reg = Object.assign(await startRegistry({ storage: root, readApi: true }), { root });
  });
  afterAll(() => reg.close());

  const nothingWritten = () => {
    expect(storedFiles(reg.root)).toEqual([]);
    expect(readdirSync(reg.root).sort()).toEqual(['.locks', '.staging']);
    expect(readdirSync(join(reg.root, '.staging'))).toEqual([]);
    expect(readdirSync(join(reg.root, '.locks'))).toEqual([]);
  };

  it('a long but legal module path (every element short, the whole > 255 bytes) is stored and served', async () => {
    const module = ['example.com', ...Array.from({ length: 12 }, (_, i) => `e${String(i).padStart(2, '0')}`.padEnd(28, 'x'))].join('/');
    expect(module.length).toBeGreaterThan(300);
    const f = fx(module, 'v1.0.0');
    const r = await up(reg.url, f);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect((await goDownload(reg.url, module, 'v1.0.0')).sum).toBe(f.h1);
    rmSync(join(reg.root, 'example.com'), { recursive: true });
  });

  const tooLong: [string, () => GoModuleFixture][] = [
    ['a 300-character prerelease', () => fx('example.com/long/pre', `v1.0.0-${'p'.repeat(300)}`)],
    ['a 300-character path element', () => fx(`example.com/${'e'.repeat(300)}/m`, 'v1.0.0')],
    ['an upper-case prerelease that fits but whose case-escaped (!x) name does not', () => fx('example.com/long/esc', `v1.0.0-${'P'.repeat(200)}`)],
    ['a module path longer than a file system path may be', () => fx(['example.com', ...Array.from({ length: 17 }, (_, i) => `${i}`.padEnd(250, 'q'))].join('/'), 'v1.0.0')],
  ];
  for (const [name, make] of tooLong) {
    it(`400 for ${name}, with a message that says so; nothing written`, async () => {
      const f = make();
      const r = await up(reg.url, f);
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body.error).toMatch(/too long/);
      expect(JSON.stringify(r.body)).not.toContain(reg.root);
      nothingWritten();
    });
  }
});

describe('storage: no module inside another module\'s version directory', () => {
  let reg: RunningRegistry & { root: string };
  beforeAll(async () => {
    const root = tmp('nest-');
    reg = Object.assign(await startRegistry({ storage: root, readApi: true }), { root });
  });
  afterAll(() => reg.close());

  it('child after parent: 400 naming both; the parent version keeps exactly its 3 files', async () => {
    const P = 'example.com/rt/nest';
    expect((await up(reg.url, fx(P, 'v1.0.0'))).status).toBe(201);
    const before = storedFiles(reg.root);
    for (const child of [`${P}/v1.0.0/sub`, `${P}/v1.0.0/a/b`, `${P}/v1.0.0/go.mod`]) {
      const r = await up(reg.url, fx(child, 'v0.1.0'));
      expect(r.status, child).toBe(400);
      expect(r.body.error).toBe(`module path ${child} would be stored inside the version directory of ${P}@v1.0.0`);
      expect(JSON.stringify(r.body)).not.toContain(reg.root);
    }
    expect(athensEntries(reg.root, P, 'v1.0.0')).toEqual(ATHENS_FILES('v1.0.0'));
    expect(storedFiles(reg.root)).toEqual(before);
  });

  it('parent after child: 409 naming the module already there, not a "different bytes" message; the child stays served', async () => {
    const P = 'example.com/rt/late';
    const child = fx(`${P}/v1.0.0/sub`, 'v0.1.0');
    expect((await up(reg.url, child)).status).toBe(201);
    const r = await up(reg.url, fx(P, 'v1.0.0'));
    expect(r.status).toBe(409);
    expect(r.body.error).toBe(`${P}@v1.0.0 cannot be stored: its version directory already holds module ${P}/v1.0.0/sub`);
    expect(JSON.stringify(r.body)).not.toMatch(/immutable|different/);
    expect(existsSync(join(reg.root, P, '@v', 'v1.0.0.info'))).toBe(false);
    expect(athensEntries(reg.root, P, 'v1.0.0')).toEqual(['sub']);
    expect((await goDownload(reg.url, child.module, 'v0.1.0')).sum).toBe(child.h1);
    // Another version of the parent, and a child under a version the parent does not have, are fine.
    expect((await up(reg.url, fx(P, 'v1.1.0'))).status).toBe(201);
  });

  it('odd things in the tree get a clean 409 naming module and version, never a server path or a 500', async () => {
    const root = reg.root;
    // A file where the version directory belongs.
    const a = fx('example.com/odd/file', 'v1.0.0');
    mkdirSync(join(root, 'example.com/odd/file'), { recursive: true });
    writeFileSync(join(root, 'example.com/odd/file/v1.0.0'), 'x');
    // A directory where go.mod belongs.
    const b = fx('example.com/odd/dir', 'v1.0.0');
    mkdirSync(join(root, 'example.com/odd/dir/v1.0.0/go.mod'), { recursive: true });
    writeFileSync(join(root, 'example.com/odd/dir/v1.0.0/source.zip'), 'x');
    writeFileSync(join(root, 'example.com/odd/dir/v1.0.0/v1.0.0.info'), '{}');
    // A file where a directory of the module path belongs.
    const c = fx('example.com/odd/blocked/deep', 'v1.0.0');
    writeFileSync(join(root, 'example.com/odd/blocked'), 'x');
    // A stray file in an otherwise incomplete version directory.
    const d = fx('example.com/odd/partial', 'v1.0.0');
    mkdirSync(join(root, 'example.com/odd/partial/v1.0.0'), { recursive: true });
    writeFileSync(join(root, 'example.com/odd/partial/v1.0.0/go.mod'), 'module example.com/odd/partial\n');
    for (const f of [a, b, c, d]) {
      const r = await up(reg.url, f);
      expect(r.status, `${f.module}: ${JSON.stringify(r.body)}`).toBe(409);
      expect(r.body.error).toContain(`${f.module}@v1.0.0`);
      expect(JSON.stringify(r.body)).not.toContain(root);
    }
    // An empty version directory holds nothing: the version is stored over it.
    const e = fx('example.com/odd/empty', 'v1.0.0');
    mkdirSync(join(root, 'example.com/odd/empty/v1.0.0'), { recursive: true });
    expect((await up(reg.url, e)).status).toBe(201);
    expect(athensEntries(root, e.module, 'v1.0.0')).toEqual(ATHENS_FILES('v1.0.0'));
  });
});

describe('storage: parent and child racing on two replicas of one volume', () => {
  it('exactly one wins each round, the other gets the clear reason, and Athens sees a parent version with exactly 3 files', async () => {
    const root = tmp('race-');
    const [a, b] = await Promise.all([startRegistryProcess(['--storage', root, '--quiet']), startRegistryProcess(['--storage', root, '--quiet'])]);
    try {
      const outcomes = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const P = `example.com/race/r${i}`;
        const parent = fx(P, 'v1.0.0');
        const child = fx(`${P}/v1.0.0/sub`, 'v0.1.0');
        // Alternate which replica gets which side.
        const [pr, cr] = await Promise.all([up(i % 2 ? a.url : b.url, parent), up(i % 2 ? b.url : a.url, child)]);
        const statuses = [pr.status, cr.status];
        expect(statuses.filter((s) => s === 201), JSON.stringify([pr.body, cr.body])).toHaveLength(1);
        if (pr.status === 201) {
          outcomes.add('parent');
          expect(cr.status).toBe(400);
          expect(cr.body.error).toMatch(/would be stored inside the version directory of/);
          expect(athensEntries(root, P, 'v1.0.0')).toEqual(ATHENS_FILES('v1.0.0'));
        } else {
          outcomes.add('child');
          expect(pr.status).toBe(409);
          expect(pr.body.error).toMatch(/its version directory already holds module/);
          expect(athensEntries(root, P, 'v1.0.0')).toEqual(['sub']);
          expect(readFileSync(join(root, child.module, 'v0.1.0', 'source.zip')).equals(child.zip)).toBe(true);
        }
      }
      expect(outcomes.size).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 120_000);
});

describe('storage: gc and recovery find every module and touch only their own', () => {
  it('recovery completes parent, a child under a version the parent lacks, and a child an older release nested inside a parent version; gc --module parent leaves both children alone', async () => {
    const root = tmp('walk-');
    const P = 'example.com/rt/nest';
    const parent = fx(P, 'v1.0.0');
    const beside = fx(`${P}/v9.9.9/sub`, 'v0.1.0');
    const nested = fx(`${P}/v1.0.0/sub`, 'v0.1.0');
    const top = fx('v1.0.0/x', 'v0.1.0'); // a legal module path whose FIRST element is version-shaped
    const reg = await startRegistry({ storage: root });
    try {
      for (const f of [parent, beside, top]) expect((await up(reg.url, f)).status, f.module).toBe(201);
    } finally {
      await reg.close();
    }
    // What an older release could write: the child inside the parent's version directory.
    const elsewhere = tmp('walk-other-');
    const other = await startRegistry({ storage: elsewhere });
    try {
      expect((await up(other.url, nested)).status).toBe(201);
    } finally {
      await other.close();
    }
    cpSync(join(elsewhere, nested.module), join(root, nested.module), { recursive: true });
    const nestedTree = snapshot(join(root, nested.module));
    // A crash after each commit point: no @v side anywhere.
    for (const m of [P, beside.module, nested.module, top.module]) rmSync(join(root, m, '@v'), { recursive: true });

    let reader = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    try {
      for (const f of [parent, beside, nested, top]) {
        expect(readFileSync(join(root, f.module, '@v', 'list'), 'utf8'), f.module).toBe(`${f.version}\n`);
        const dl = await goDownload(reader.url, f.module, f.version);
        expect(dl.sum, `${f.module}: ${dl.out}`).toBe(f.h1);
      }
    } finally {
      await reader.stop();
    }
    const treeAfterRecovery = snapshot(join(root, nested.module));

    const gc = await runCli(['gc', '--storage', root, '--module', P, '--keep', '0', '--include-tags', '--json']);
    expect(gc.exitCode, gc.stderr).toBe(0);
    expect(gc.json.modules.map((m: { module: string }) => m.module)).toEqual([P]);
    expect(gc.json.modules[0].removed.map((v: { version: string }) => v.version)).toEqual(['v1.0.0']);
    expect(readFileSync(join(root, P, '@v', 'list'), 'utf8')).toBe('');
    // Only the parent's three files left its version directory; the nested child is untouched.
    expect(athensEntries(root, P, 'v1.0.0')).toEqual(['sub']);
    expect(snapshot(join(root, nested.module))).toEqual(treeAfterRecovery);
    expect(Object.keys(nestedTree).every((k) => k in treeAfterRecovery)).toBe(true);

    // gc without --module discovers every module holding versions, nested ones included.
    const all = await runCli(['gc', '--storage', root, '--keep', '5', '--dry-run', '--json']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.modules.map((m: { module: string }) => m.module).sort()).toEqual([beside.module, nested.module, top.module].sort());

    reader = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    try {
      for (const f of [beside, nested, top]) expect((await goDownload(reader.url, f.module, f.version)).sum, f.module).toBe(f.h1);
    } finally {
      await reader.stop();
    }
  }, 120_000);
});

describe('storage: a crashed lock holder does not stall the next upload', () => {
  it('kill -9 while holding the module lock: after restart the upload lands well under STALE_MS', async () => {
    const root = tmp('lockcrash-');
    const f = fx('example.com/lock/crash', 'v0.1.0');
    const crashing = await startRegistryProcess(['--storage', root, '--quiet'], { AMEIDE_PKG_FAILPOINT: 'lock:taken' });
    await up(crashing.url, f).catch(() => {});
    await crashing.stop();
    expect(crashing.proc.signalCode).toBe('SIGKILL');
    // The dead holder's lock is still there, owner inside.
    const locks = readdirSync(join(root, '.locks'));
    expect(locks).toHaveLength(1);
    expect(readdirSync(join(root, '.locks', locks[0]!))).toEqual(['owner']);

    const reg = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    try {
      const t0 = performance.now();
      const r = await up(reg.url, f);
      const ms = performance.now() - t0;
      expect(r.status).toBe(201);
      expect(ms).toBeLessThan(STALE_MS / 3);
      expect(readFileSync(join(root, f.module, '@v', 'list'), 'utf8')).toBe('v0.1.0\n');
    } finally {
      await reg.stop();
    }
  }, 60_000);
});
