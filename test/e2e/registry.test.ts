import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { goEnv } from '../helpers/go.js';
import { postUpload, storedFiles } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { craftZip, goModuleFixture, patchZipNames, type GoModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const V1 = 'v0.0.0-20251106082752-a0e03c2d4532';
const { tmp, track } = scratchDirs();

async function freshRegistry(extra: Partial<Parameters<typeof startRegistry>[0]> = {}): Promise<RunningRegistry & { root: string }> {
  const root = tmp('reg-');
  const r = await startRegistry({ storage: root, readApi: true, ...extra });
  return Object.assign(r, { root });
}

function uploadOf(f: GoModuleFixture) {
  return { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip };
}

/**
 * A consumer module that imports the SDK, built with the real go. Async on purpose: the
 * registry runs in this process, so a sync child would block the server it talks to.
 */
async function buildConsumer(goproxy: string, module: string, version: string): Promise<{ sum: string; built: boolean }> {
  const home = tmp('gohome-');
  const env = goEnv(home, goproxy);
  const dl = JSON.parse((await execa('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: home, env, extendEnv: false })).stdout);
  const app = join(home, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'go.mod'), `module example.com/consumer\n\ngo 1.19\n\nrequire ${module} ${version}\n`);
  writeFileSync(join(app, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\tsdk "${module}"\n)\n\nfunc main() { fmt.Println(sdk.Value()) }\n`);
  await execa('go', ['build', '-o', 'app', '.'], { cwd: app, env, extendEnv: false });
  const out = (await execa(join(app, 'app'))).stdout.trim();
  return { sum: dl.Sum, built: out === version };
}

describe('registry: accepted uploads and the read path', () => {
  let reg: RunningRegistry & { root: string };
  let fx: GoModuleFixture;
  beforeAll(async () => {
    reg = await freshRegistry();
    fx = goModuleFixture(MOD, V1);
  });
  afterAll(() => reg.close());

  it('stores an x/mod CreateFromDir zip in both layouts (201), and an identical retry is 200', async () => {
    const first = await postUpload(reg.url, uploadOf(fx));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ module: MOD, version: V1, h1: fx.h1, stored: true });
    const again = await postUpload(reg.url, uploadOf(fx));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ h1: fx.h1, stored: false });

    const athens = join(reg.root, MOD, V1);
    expect(readdirSync(athens).sort()).toEqual(['go.mod', 'source.zip', `${V1}.info`].sort());
    expect(readFileSync(join(athens, 'source.zip')).equals(fx.zip)).toBe(true);
    const v = join(reg.root, MOD, '@v');
    expect(readFileSync(join(v, 'list'), 'utf8')).toBe(`${V1}\n`);
    expect(readFileSync(join(v, `${V1}.mod`), 'utf8')).toBe(fx.mod);
    expect(JSON.parse(readFileSync(join(v, `${V1}.info`), 'utf8'))).toEqual({ Version: V1, Time: '2025-11-06T08:27:52Z' });
  });

  it('serves the real go over HTTP: download Sum equals the uploaded h1, a consumer builds', async () => {
    const r = await buildConsumer(reg.url, MOD, V1);
    expect(r.sum).toBe(fx.h1);
    expect(r.built).toBe(true);
  });

  it('the storage works unchanged as GOPROXY=file://', async () => {
    const r = await buildConsumer(`file://${reg.root}`, MOD, V1);
    expect(r.sum).toBe(fx.h1);
    expect(r.built).toBe(true);
  });

  it('decodes %21 case escapes, answers @latest, and 404s unknown paths as text/plain', async () => {
    const upper = goModuleFixture('example.com/Upper/Mod', 'v1.2.0');
    expect((await postUpload(reg.url, uploadOf(upper))).status).toBe(201);
    expect(readdirSync(join(reg.root, 'example.com/Upper/Mod'))).toContain('v1.2.0');
    expect(readdirSync(join(reg.root, 'example.com/!upper/!mod/@v'))).toContain('list');
    const list = await fetch(`${reg.url}/example.com/%21upper/%21mod/@v/list`);
    expect(await list.text()).toBe('v1.2.0\n');
    expect((await buildConsumer(reg.url, 'example.com/Upper/Mod', 'v1.2.0')).sum).toBe(upper.h1);

    const pre = goModuleFixture('example.com/Upper/Mod', 'v1.3.0-rc.1');
    expect((await postUpload(reg.url, uploadOf(pre))).status).toBe(201);
    const latest = await fetch(`${reg.url}/example.com/%21upper/%21mod/@latest`);
    expect(await latest.json()).toMatchObject({ Version: 'v1.2.0' });

    for (const p of ['/example.com/nope/@v/list', `/${MOD}/@v/v9.9.9.info`, '/example.com/Upper/Mod/@v/list', '/garbage', `/${MOD}/@v/notaversion.zip`]) {
      const r = await fetch(reg.url + p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('content-type'), p).toMatch(/^text\/plain/);
      await r.text();
    }
  });

  it('answers health, readiness and version', async () => {
    expect((await fetch(`${reg.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${reg.url}/readyz`)).json()).toMatchObject({ status: 'ready' });
    expect(await (await fetch(`${reg.url}/version`)).json()).toMatchObject({ readApi: true });
  });

  it('keeps serving everything after a restart on the same storage', async () => {
    const again = await startRegistry({ storage: reg.root, readApi: true });
    try {
      expect(await (await fetch(`${again.url}/${MOD}/@v/list`)).text()).toBe(`${V1}\n`);
    } finally {
      await again.close();
    }
  });
});

describe('registry: invalid uploads are refused and leave nothing behind', () => {
  let reg: RunningRegistry & { root: string };
  let fx: GoModuleFixture;
  beforeAll(async () => {
    reg = await freshRegistry();
    fx = goModuleFixture(MOD, V1);
  });
  afterAll(() => reg.close());

  const prefix = `${MOD}@${V1}/`;
  const cases: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
    ['invalid module path', async () => ({ module: 'NoDot/x' }), /invalid module path/],
    ['non-canonical version', async () => ({ version: 'v1.2' }), /canonical/],
    ['major version mismatch', async () => ({ version: 'v2.0.0', info: JSON.stringify({ Version: 'v2.0.0', Time: '2025-01-01T00:00:00Z' }) }), /v2/],
    ['zip entry outside module@version/', async () => ({ zip: await craftZip([{ name: `${prefix}go.mod`, data: fx.mod }, { name: 'other@v1/x.go', data: 'x' }]) }), /outside/],
    ['path traversal', async () => ({ zip: patchZipNames(await craftZip([{ name: `${prefix}go.mod`, data: fx.mod }, { name: `${prefix}a/QQ/QQ/evil.go`, data: 'x' }]), 'QQ/QQ', '../..') }), /not clean|invalid|relative/],
    ['absolute path', async () => ({ zip: patchZipNames(await craftZip([{ name: `QQ${prefix}go.mod`, data: fx.mod }]), `QQ${prefix}`, `//${prefix}`) }), /outside|absolute|invalid/],
    ['case-fold collision', async () => ({ zip: await craftZip([{ name: `${prefix}go.mod`, data: fx.mod }, { name: `${prefix}README`, data: 'a' }, { name: `${prefix}readme`, data: 'b' }]) }), /collision/],
    ['disallowed file name character', async () => ({ zip: await craftZip([{ name: `${prefix}go.mod`, data: fx.mod }, { name: `${prefix}bad*name.go`, data: 'a' }]) }), /malformed file path/],
    ["zip's go.mod differs from mod", async () => ({ zip: await craftZip([{ name: `${prefix}go.mod`, data: fx.mod + '// changed\n' }]) }), /differs/],
    ['go.mod module line differs', async () => ({ mod: 'module example.com/other\n' }), /go.mod says module/],
    ['.info Version differs', async () => ({ info: JSON.stringify({ Version: 'v0.0.1', Time: '2025-01-01T00:00:00Z' }) }), /info Version/],
    ['.info Time invalid', async () => ({ info: JSON.stringify({ Version: V1, Time: 'yesterday' }) }), /RFC 3339/],
    ['missing field', async () => ({ zip: undefined }), /missing multipart field\(s\): zip/],
  ];

  for (const [name, override, reason] of cases) {
    it(`400: ${name}`, async () => {
      const fields = { ...uploadOf(fx), ...(await override()) } as Parameters<typeof postUpload>[1];
      const r = await postUpload(reg.url, fields);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatch(reason);
      expect(storedFiles(reg.root)).toEqual([]);
      expect(readdirSync(join(reg.root, '.staging'))).toEqual([]);
    });
  }

  it('409: same version with different bytes; the stored bytes stay intact', async () => {
    expect((await postUpload(reg.url, uploadOf(fx))).status).toBe(201);
    const before = storedFiles(reg.root).map((f) => [f, readFileSync(join(reg.root, f)).toString('base64')]);
    const other = goModuleFixture(MOD, V1, { body: 'different' });
    const r = await postUpload(reg.url, uploadOf(other));
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/already stored with a different/);
    expect(storedFiles(reg.root).map((f) => [f, readFileSync(join(reg.root, f)).toString('base64')])).toEqual(before);
  });
});

describe('registry: auth and limits', () => {
  it('401 without or with a wrong bearer token; nothing stored; the right token works', async () => {
    const tokenDir = tmp();
    const reg = await freshRegistry({ token: 's3cret-token' });
    try {
      const fx = goModuleFixture(MOD, V1);
      for (const token of [undefined, 'wrong']) {
        const r = await postUpload(reg.url, uploadOf(fx), token);
        expect(r.status).toBe(401);
        expect(JSON.stringify(r.body)).not.toContain('s3cret');
      }
      expect(storedFiles(reg.root)).toEqual([]);
      expect((await postUpload(reg.url, uploadOf(fx), 's3cret-token')).status).toBe(201);
      // reads stay open
      expect((await fetch(`${reg.url}/${MOD}/@v/list`)).status).toBe(200);
    } finally {
      await reg.close();
      void tokenDir;
    }
  });

  it('413: zip over the limit, uncompressed total over the limit (zip bomb), go.mod over 16 MiB', async () => {
    const reg = await freshRegistry({ maxZipBytes: 256 * 1024 });
    try {
      const prefix = `${MOD}@${V1}/`;
      const mod = `module ${MOD}\n`;
      const info = JSON.stringify({ Version: V1, Time: '2025-01-01T00:00:00Z' });
      const random = randomBytes(400 * 1024);
      const big = await craftZip([{ name: `${prefix}go.mod`, data: mod }, { name: `${prefix}noise.bin`, data: random }]);
      expect(big.length).toBeGreaterThan(256 * 1024);
      const r1 = await postUpload(reg.url, { module: MOD, version: V1, info, mod, zip: big });
      expect(r1.status).toBe(413);

      const bomb = await craftZip([{ name: `${prefix}go.mod`, data: mod }, { name: `${prefix}zeros.bin`, data: Buffer.alloc(2 << 20) }]);
      expect(bomb.length).toBeLessThan(256 * 1024);
      const r2 = await postUpload(reg.url, { module: MOD, version: V1, info, mod, zip: bomb });
      expect(r2.status).toBe(413);
      expect(r2.body.error).toMatch(/uncompressed/);
      expect(storedFiles(reg.root)).toEqual([]);
    } finally {
      await reg.close();
    }
    const reg2 = await freshRegistry();
    try {
      const hugeMod = `module ${MOD}\n` + '//'.padEnd(100, 'x').concat('\n').repeat((16 << 20) / 100 + 10);
      const r3 = await postUpload(reg2.url, { module: MOD, version: V1, info: JSON.stringify({ Version: V1, Time: '2025-01-01T00:00:00Z' }), mod: hugeMod, zip: await craftZip([{ name: `${MOD}@${V1}/go.mod`, data: 'x' }]) });
      expect(r3.status).toBe(413);
      expect(storedFiles(reg2.root)).toEqual([]);
    } finally {
      await reg2.close();
    }
  });
});

describe('registry: concurrency', () => {
  it('20 parallel uploads of distinct versions all land and list holds all 20 in order', async () => {
    const reg = await freshRegistry();
    try {
      const fixtures = Array.from({ length: 20 }, (_, i) => goModuleFixture(MOD, `v0.1.${i}`));
      const results = await Promise.all(fixtures.map((f) => postUpload(reg.url, uploadOf(f))));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
      const list = readFileSync(join(reg.root, MOD, '@v/list'), 'utf8').trim().split('\n');
      expect(list).toEqual(Array.from({ length: 20 }, (_, i) => `v0.1.${i}`));
    } finally {
      await reg.close();
    }
  });

  it('20 parallel uploads of one version with different bytes: exactly one 201, the rest 409, bytes intact', async () => {
    const reg = await freshRegistry();
    try {
      const fixtures = Array.from({ length: 20 }, (_, i) => goModuleFixture(MOD, V1, { body: `variant-${i}` }));
      const results = await Promise.all(fixtures.map((f) => postUpload(reg.url, uploadOf(f))));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      const winner = fixtures[statuses.indexOf(201)]!;
      expect(readFileSync(join(reg.root, MOD, V1, 'source.zip')).equals(winner.zip)).toBe(true);
      expect(readFileSync(join(reg.root, MOD, '@v', `${V1}.zip`)).equals(winner.zip)).toBe(true);
      expect(readFileSync(join(reg.root, MOD, '@v/list'), 'utf8')).toBe(`${V1}\n`);
    } finally {
      await reg.close();
    }
  });
});
