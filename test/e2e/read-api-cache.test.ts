import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { DiskModuleStore } from '../../src/registry/go/backend.js';
import { ReadCache } from '../../src/registry/go/read-cache.js';
import type { GcPlan } from '../../src/registry/go/gc.js';
import type { LogEvent } from '../../src/registry/log.js';
import { runCli } from '../helpers/cli.js';
import { pipelinedThenReset, postUpload, startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/cached-sdk';
const V1 = 'v0.1.0';
const V2 = 'v0.2.0';
const { tmp, track } = scratchDirs();
const IMMUTABLE = 'public, max-age=31536000, immutable';

function fixture(version: string, time?: string): GoModuleFixture {
  const f = goModuleFixture(MOD, version, time ? { time } : {});
  track(f.dir);
  return f;
}
const upload = (url: string, f: GoModuleFixture) => postUpload(url, { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip });
const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => fetch(url, { method, headers });

describe('read API: caching headers, ETag/304, HEAD', () => {
  let reg: RunningRegistry;
  let root: string;
  let fx: GoModuleFixture;
  beforeAll(async () => {
    root = tmp('readapi-');
    reg = await startRegistry({ storage: root, readApi: true });
    fx = fixture(V1);
    expect((await upload(reg.url, fx)).status).toBe(201);
  });
  afterAll(() => reg.close());

  // The stored .info, as the uploader wrote it: the bytes nginx would serve from the same tree.
  const info = () => readFileSync(join(root, MOD, '@v', `${V1}.info`));
  const kinds = () => [
    { path: `/${MOD}/@v/${V1}.info`, body: info(), cc: IMMUTABLE, type: 'application/json' },
    { path: `/${MOD}/@v/${V1}.mod`, body: Buffer.from(fx.mod), cc: IMMUTABLE, type: 'text/plain; charset=utf-8' },
    { path: `/${MOD}/@v/${V1}.zip`, body: fx.zip, cc: IMMUTABLE, type: 'application/zip' },
    { path: `/${MOD}/@v/list`, body: Buffer.from(`${V1}\n`), cc: 'no-cache', type: 'text/plain; charset=utf-8' },
    { path: `/${MOD}/@latest`, body: info(), cc: 'no-cache', type: 'application/json' },
  ];

  it('every kind: bytes, Cache-Control, a strong ETag that is stable across requests (cold and cached)', async () => {
    for (const k of kinds()) {
      const a = await get(reg.url + k.path);
      const b = await get(reg.url + k.path); // second answer comes from memory
      for (const r of [a, b]) {
        expect(r.status, k.path).toBe(200);
        expect(r.headers.get('cache-control'), k.path).toBe(k.cc);
        expect(r.headers.get('content-type'), k.path).toBe(k.type);
        expect(Buffer.from(await r.arrayBuffer()).equals(k.body), k.path).toBe(true);
      }
      const etag = a.headers.get('etag')!;
      expect(etag, k.path).toMatch(/^"[^"]+"$/); // strong: no W/
      expect(b.headers.get('etag'), k.path).toBe(etag);
    }
  });

  it('If-None-Match with the ETag → 304 without a body, for each kind; another tag or none → 200', async () => {
    for (const k of kinds()) {
      const etag = (await get(reg.url + k.path)).headers.get('etag')!;
      for (const inm of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
        const r = await get(reg.url + k.path, { 'if-none-match': inm });
        expect(r.status, `${k.path} ${inm}`).toBe(304);
        expect(r.headers.get('etag')).toBe(etag);
        expect(r.headers.get('cache-control')).toBe(k.cc);
        expect((await r.arrayBuffer()).byteLength).toBe(0);
      }
      expect((await get(reg.url + k.path, { 'if-none-match': '"nope"' })).status, k.path).toBe(200);
    }
  });

  it('HEAD: the GET headers (length, type, ETag, Cache-Control) and no body, cold and cached', async () => {
    const fresh = fixture(V2);
    expect((await upload(reg.url, fresh)).status).toBe(201);
    for (const p of [`/${MOD}/@v/${V2}.mod`, `/${MOD}/@v/${V2}.zip`, `/${MOD}/@v/list`]) {
      for (let i = 0; i < 2; i++) {
        const h = await get(reg.url + p, {}, 'HEAD');
        const g = await get(reg.url + p);
        const body = Buffer.from(await g.arrayBuffer());
        expect(h.status, p).toBe(200);
        expect((await h.arrayBuffer()).byteLength, p).toBe(0);
        expect(Number(h.headers.get('content-length')), p).toBe(body.length);
        for (const name of ['etag', 'cache-control', 'content-type']) expect(h.headers.get(name), `${p} ${name}`).toBe(g.headers.get(name));
      }
    }
  });

  it('gc in this process: a removed version is 404 at once although its files were cached', async () => {
    const fresh = fixture('v0.3.0');
    expect((await upload(reg.url, fresh)).status).toBe(201);
    const paths = ['info', 'mod', 'zip'].map((e) => `/${MOD}/@v/v0.3.0.${e}`);
    for (const p of paths) for (let i = 0; i < 2; i++) expect((await get(reg.url + p)).status).toBe(200);
    const before = (await (await get(`${reg.url}/${MOD}/@latest`)).json()) as { Version: string };
    expect(before.Version).toBe('v0.3.0');
    await reg.storage.gcModule(MOD, (vs) => ({ remove: vs.filter((v) => v.version === 'v0.3.0'), keep: [] }) as unknown as GcPlan, false);
    for (const p of paths) expect((await get(reg.url + p)).status, p).toBe(404);
    expect(await (await get(`${reg.url}/${MOD}/@v/list`)).text()).toBe(`${V1}\n${V2}\n`);
    expect(((await (await get(`${reg.url}/${MOD}/@latest`)).json()) as { Version: string }).Version).toBe(V2);
  });
});

describe('read API: other processes on the same storage', () => {
  const procs: RegistryProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop()));
  });

  it('list and @latest revalidate after an upload through another `registry serve` process', async () => {
    const root = tmp('readapi-two-');
    const a = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    procs.push(a);
    const b = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    procs.push(b);
    expect((await upload(b.url, fixture(V1))).status).toBe(201);
    const first = await get(`${a.url}/${MOD}/@v/list`);
    const etag = first.headers.get('etag')!;
    expect(await first.text()).toBe(`${V1}\n`);
    expect((await get(`${a.url}/${MOD}/@v/list`, { 'if-none-match': etag })).status).toBe(304); // cached
    expect(((await (await get(`${a.url}/${MOD}/@latest`)).json()) as { Version: string }).Version).toBe(V1);

    expect((await upload(b.url, fixture(V2))).status).toBe(201);
    const again = await get(`${a.url}/${MOD}/@v/list`, { 'if-none-match': etag });
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(`${V1}\n${V2}\n`);
    expect(again.headers.get('etag')).not.toBe(etag);
    expect(((await (await get(`${a.url}/${MOD}/@latest`)).json()) as { Version: string }).Version).toBe(V2);
  }, 60_000);

  it('a `gc` CLI run removes versions that a running server had cached: 404 and gone from list at once', async () => {
    const root = tmp('readapi-gc-');
    const reg = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    procs.push(reg);
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const newer = new Date(Date.now() - 30 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const f1 = fixture(V1, old);
    const f2 = fixture(V2, newer);
    expect((await upload(reg.url, f1)).status).toBe(201);
    expect((await upload(reg.url, f2)).status).toBe(201);
    const paths = ['info', 'mod', 'zip'].map((e) => `/${MOD}/@v/${V1}.${e}`);
    for (const p of [...paths, `/${MOD}/@v/list`]) for (let i = 0; i < 2; i++) expect((await get(reg.url + p)).status, p).toBe(200);

    const r = await runCli(['gc', '--storage', root, '--keep', '1', '--include-tags', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(join(root, MOD, '@v', 'list'), 'utf8')).toBe(`${V2}\n`);
    for (const p of paths) expect((await get(reg.url + p)).status, p).toBe(404);
    expect(await (await get(`${reg.url}/${MOD}/@v/list`)).text()).toBe(`${V2}\n`);
    expect((await get(`${reg.url}/${MOD}/@v/${V2}.mod`)).status).toBe(200);
  }, 60_000);
});

describe('read API: pipelined downloads on a connection that dies', () => {
  it('every request ends, is observed once, and leaves no file open; the server still closes promptly', async () => {
    const root = tmp('readapi-pipe-');
    const events: LogEvent[] = [];
    const reg = await startRegistry({ storage: root, readApi: true, log: (e) => events.push(e) });
    // A zip larger than the read cache keeps in memory, so it is sent from the open file.
    const big = goModuleFixture(MOD, V1, { body: randomBytes(3 << 20).toString('base64') });
    track(big.dir);
    expect(big.zip.length).toBeGreaterThan(2 << 20);
    expect((await upload(reg.url, big)).status).toBe(201);
    const zipPath = `/${MOD}/@v/${V1}.zip`;
    const openZips = () => readdirSync('/proc/self/fd').filter((fd) => /\.zip$/.test((() => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } })())).length;
    const before = openZips();
    const port = Number(new URL(reg.url).port);
    const ROUNDS = 3;
    for (let i = 0; i < ROUNDS; i++) {
      // The second answer waits behind the first; the client resets while the first arrives.
      await pipelinedThenReset(port, zipPath);
    }
    const zipReads = () => events.filter((e) => e.kind === 'request' && e.path === zipPath).length;
    await expect.poll(zipReads, { timeout: 5000 }).toBe(2 * ROUNDS);
    await expect.poll(openZips, { timeout: 5000 }).toBe(before);
    const t0 = Date.now();
    await reg.close(10_000);
    expect(Date.now() - t0, 'nothing in flight kept the server waiting').toBeLessThan(5000);
  }, 60_000);
});

describe('read cache: bounded by bytes, recently used files stay', () => {
  it('past maxBytes the least recently used file goes; one read since it was cached keeps a file', async () => {
    const root = tmp('readcache-bound-');
    const reg = await startRegistry({ storage: root });
    const versions = ['v0.1.0', 'v0.2.0', 'v0.3.0', 'v0.4.0'];
    for (const v of versions) expect((await upload(reg.url, fixture(v))).status).toBe(201);
    await reg.close();
    // The .mod files are all the same size: room for three of them.
    const modBytes = readFileSync(join(root, MOD, '@v', 'v0.1.0.mod')).length;
    const cache = new ReadCache(new DiskModuleStore(root), { maxBytes: 3 * modBytes + modBytes / 2 });
    const state = (await cache.list(MOD))!;
    // @latest's .info is read (not kept: only versioned files are) when the list loads.
    const cached = () => versions.filter((v) => cache.cachedFile(MOD, v, 'mod', state) !== undefined);
    const [a, b, c, d] = versions as [string, string, string, string];
    for (const v of [a, b, c]) expect(await cache.file(MOD, v, 'mod', state)).toMatchObject({ body: expect.any(Buffer) });
    expect(cached()).toEqual([a, b, c]);
    // Read a again (the check above read all three: read b and c out of the picture by reading a last).
    expect(cache.cachedFile(MOD, a, 'mod', state)).toBeDefined();
    await cache.file(MOD, d, 'mod', state);
    expect(cache.stats().bytes).toBeLessThanOrEqual(3 * modBytes + modBytes / 2);
    expect(cache.stats().files).toBe(3);
    expect(cached().includes(a), 'read since it was cached').toBe(true);
    expect(cached().includes(d), 'just read from the store').toBe(true);
  });
});
