import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planModuleGc } from '../../src/registry/go/gc.js';
import { probeConditionalWrites } from '../../src/registry/go/s3/open.js';
import type { S3Objects } from '../../src/registry/go/s3/objects.js';
import { S3ModuleStore } from '../../src/registry/go/s3/store.js';
import { allKeys, AthensS3View, startMoto, type Moto } from '../helpers/moto.js';
import { scratchDirs } from '../helpers/repo.js';

/** The S3 module store against a real S3-compatible server (moto), one bucket per test. */
const { tmp } = scratchDirs();
let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const MOD = 'example.com/Org/lib';
const V1 = 'v0.0.0-20251106082752-a0e03c2d4532';

interface Files {
  info: Buffer;
  mod: Buffer;
  zipPath: string;
  zip: Buffer;
}
function files(version = V1, opts: { zip?: Buffer; time?: string; mod?: string } = {}): Files {
  const zip = opts.zip ?? randomBytes(2048);
  const zipPath = join(tmp('s3zip-'), 'upload.zip');
  writeFileSync(zipPath, zip);
  return {
    info: Buffer.from(JSON.stringify({ Version: version, Time: opts.time ?? '2025-11-06T08:27:52Z' }) + '\n'),
    mod: Buffer.from(opts.mod ?? `module ${MOD}\n`),
    zipPath,
    zip,
  };
}

async function fresh(o: { grace?: number; conditional?: boolean; prefix?: string } = {}): Promise<{ store: S3ModuleStore; objects: S3Objects; athens: AthensS3View }> {
  const bucket = await moto.newBucket();
  const objects = await moto.objects(bucket);
  const store = new S3ModuleStore(objects, { prefix: o.prefix ?? '', conditional: o.conditional ?? true, orphanGraceMs: o.grace, stagingRoot: tmp('s3stage-') });
  return { store, objects, athens: new AthensS3View(objects) };
}

const text = async (s: S3ModuleStore, v: string, ext: 'info' | 'mod' | 'zip') => {
  const r = await s.read(MOD, v, ext);
  if (!r) return null;
  const chunks: Buffer[] = [];
  for await (const c of r.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('S3 module store (moto)', () => {
  it('moto honours If-None-Match: * (the start-up probe says so)', async () => {
    const { objects } = await fresh();
    expect(await probeConditionalWrites(objects, '')).toBe(true);
    expect(await allKeys(objects)).toEqual([]); // the probe cleans up after itself
  });

  it("stores in Athens' S3 layout (module path not escaped); Athens' lister/checker/getter see exactly it", async () => {
    const { store, objects, athens } = await fresh();
    const f = files();
    expect(await store.store(MOD, V1, f)).toEqual({ status: 'created' });
    expect(await allKeys(objects)).toEqual([`${MOD}/@v/${V1}.info`, `${MOD}/@v/${V1}.mod`, `${MOD}/@v/${V1}.zip`]);
    expect(await athens.list(MOD)).toEqual([V1]);
    expect(await athens.exists(MOD, V1)).toBe(true);
    expect((await athens.get(MOD, V1, 'zip'))!.equals(f.zip)).toBe(true);
    expect(await store.list(MOD)).toEqual([V1]);
    expect((await text(store, V1, 'info'))!.equals(f.info)).toBe(true);
    expect((await text(store, V1, 'zip'))!.equals(f.zip)).toBe(true);
    const r = await store.read(MOD, V1, 'zip');
    expect(r!.size).toBe(f.zip.length);
    r!.body.destroy();
    expect(await store.read(MOD, 'v9.9.9', 'info')).toBeNull();
    expect(await store.list('example.com/none')).toBeNull();
    expect(await store.modules()).toEqual([MOD]);
  });

  it('a prefix puts everything under it', async () => {
    const { store, objects } = await fresh({ prefix: 'go/modules/' });
    await store.store(MOD, V1, files());
    expect((await allKeys(objects)).every((k) => k.startsWith(`go/modules/${MOD}/@v/`))).toBe(true);
    expect(await store.list(MOD)).toEqual([V1]);
  });

  it('identical re-store is 200-identical; other .info, go.mod or zip bytes are a conflict and change nothing', async () => {
    const { store, objects } = await fresh();
    const f = files();
    await store.store(MOD, V1, f);
    const before = await allKeys(objects);
    expect(await store.store(MOD, V1, files(V1, { zip: f.zip }))).toEqual({ status: 'identical' });
    const other = await store.store(MOD, V1, files(V1, { zip: f.zip, time: '2025-11-07T00:00:00Z' }));
    expect(other.status).toBe('conflict');
    expect((other as { reason: string }).reason).toContain('.info');
    const otherZip = await store.store(MOD, V1, files());
    expect((otherZip as { reason: string }).reason).toContain('zip');
    expect(await allKeys(objects)).toEqual(before);
    expect((await text(store, V1, 'zip'))!.equals(f.zip)).toBe(true);
  });

  it('a crashed upload (bodies, no .info) is invisible; an identical retry adopts its bodies', async () => {
    const { store, objects, athens } = await fresh();
    const f = files();
    await objects.put(`${MOD}/@v/${V1}.zip`, { buffer: f.zip }, { sha256: sha(f.zip) }, true, 'application/zip');
    expect(await athens.list(MOD)).toEqual([]);
    expect(await store.list(MOD)).toBeNull();
    expect(await store.store(MOD, V1, files(V1, { zip: f.zip }))).toEqual({ status: 'created' });
    expect(await athens.brokenVersions(MOD)).toEqual([]);
  });

  it('other bytes left by a recent upload are "in progress" (409); past the grace period they are removed and the upload succeeds', async () => {
    const { store, objects } = await fresh();
    await objects.put(`${MOD}/@v/${V1}.zip`, { buffer: Buffer.from('someone else') }, { sha256: sha(Buffer.from('someone else')) }, true, 'application/zip');
    const r = await store.store(MOD, V1, files());
    expect(r.status).toBe('conflict');
    expect((r as { reason: string }).reason).toMatch(/in progress/);
    const lenient = new S3ModuleStore(objects, { prefix: '', conditional: true, orphanGraceMs: 0, stagingRoot: tmp('s3stage-') });
    const f = files();
    expect(await lenient.store(MOD, V1, f)).toEqual({ status: 'created' });
    expect((await text(lenient, V1, 'zip'))!.equals(f.zip)).toBe(true);
    expect((await allKeys(objects)).filter((k) => k.includes('.ameide-pkg/'))).toEqual([]); // trash cleaned
  });

  it('a committed version whose body was removed under it (a racing remover) is restored by the next identical store', async () => {
    const { store, objects, athens } = await fresh();
    const f = files();
    await store.store(MOD, V1, f);
    await objects.delete(`${MOD}/@v/${V1}.zip`);
    expect(await athens.brokenVersions(MOD)).toEqual([V1]);
    expect(await store.store(MOD, V1, files(V1, { zip: f.zip }))).toEqual({ status: 'identical' });
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    expect((await athens.get(MOD, V1, 'zip'))!.equals(f.zip)).toBe(true);
  });

  it('recover() puts back a trashed body of a committed version (a remover that crashed after deleting it)', async () => {
    const { store, objects, athens } = await fresh();
    const f = files();
    await store.store(MOD, V1, f);
    const trash = `.ameide-pkg/trash/${MOD}/@v/${V1}.zip.${Date.now()}-abcd0123`;
    await objects.copy(`${MOD}/@v/${V1}.zip`, trash);
    await objects.delete(`${MOD}/@v/${V1}.zip`);
    await store.recover();
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    expect((await athens.get(MOD, V1, 'zip'))!.equals(f.zip)).toBe(true);
  });

  it('remove() takes .info first and leaves no body or trash behind; a second remove reports absence', async () => {
    const { store, objects, athens } = await fresh();
    await store.store(MOD, V1, files());
    expect(await store.remove(MOD, V1)).toBe(true);
    expect(await allKeys(objects)).toEqual([]);
    expect(await athens.list(MOD)).toEqual([]);
    expect(await store.remove(MOD, V1)).toBe(false);
  });

  it('gc: the pure plan decides (newest N kept, tags kept); orphans past the grace period are cleaned, younger ones left', async () => {
    const { store, objects, athens } = await fresh({ grace: 60_000 });
    const vs = ['v0.0.0-20250101000000-aaaaaaaaaaaa', 'v0.0.0-20250102000000-bbbbbbbbbbbb', 'v0.0.0-20250103000000-cccccccccccc', 'v1.0.0'];
    for (const [i, v] of vs.entries()) expect((await store.store(MOD, v, files(v, { time: `2025-01-0${i + 1}T00:00:00Z` }))).status).toBe('created');
    await objects.put(`${MOD}/@v/v0.0.0-20240101000000-dddddddddddd.zip`, { buffer: Buffer.from('young orphan') }, {}, true, 'application/zip');
    const plan = await store.gcModule(MOD, (versions) => planModuleGc(versions, { keep: 1, includeTags: false, pinned: new Set() }), false);
    expect(plan.remove.map((v) => v.version).sort()).toEqual(vs.slice(0, 2));
    expect(plan.keep.find((k) => k.version === vs[2])!.bytes).toBeGreaterThan(2048);
    expect(await athens.list(MOD)).toEqual(expect.arrayContaining([vs[2], vs[3]]));
    expect((await athens.list(MOD)).length).toBe(2);
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    expect(await allKeys(objects)).toContain(`${MOD}/@v/v0.0.0-20240101000000-dddddddddddd.zip`);
    const old = new S3ModuleStore(objects, { prefix: '', conditional: true, orphanGraceMs: 0 });
    await old.gcModule(MOD, (versions) => ({ remove: [], keep: versions.map((v) => ({ ...v, reason: 'newest' as const })) }), false);
    expect((await allKeys(objects)).filter((k) => k.includes('dddd'))).toEqual([]);
  });

  it('single-writer mode (no conditional writes) keeps the same contract inside one process', async () => {
    const { store } = await fresh({ conditional: false });
    const f = files();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.store(MOD, V1, i % 2 ? files(V1, { zip: f.zip }) : files(V1, { zip: f.zip, time: '2025-11-07T00:00:00Z' }))));
    const created = results.filter((r) => r.status === 'created');
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r.status === 'identical')).toHaveLength(2);
    expect(results.filter((r) => r.status === 'conflict')).toHaveLength(3);
  });
});

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
