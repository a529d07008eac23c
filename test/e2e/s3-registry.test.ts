import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { goEnv } from '../helpers/go.js';
import { AthensS3View, allKeys, startMoto, type Moto } from '../helpers/moto.js';
import { postUpload, startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

/**
 * `registry serve --storage s3://…` as built, against moto: the upload contract, the real go
 * through the read API, Athens' view of the bucket, several replicas on one bucket, and
 * kill -9 at random moments.
 */
const { tmp } = scratchDirs();
const MOD = 'go.packages.example/Team/sdk';
let moto: Moto;
const procs: RegistryProcess[] = [];

beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
});

async function serve(bucket: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RegistryProcess> {
  const p = await startRegistryProcess(['--storage', `s3://${bucket}`, '--s3-path-style', '--read-api', '--quiet', ...extra], { ...moto.env, ...env });
  procs.push(p);
  return p;
}

/**
 * One upload; a connection dropped before any answer (a keep-alive socket the server closed as
 * it was reused, under load) is retried once — as the publish client does — which is safe
 * because an identical re-upload is answered 200.
 */
const up = async (url: string, f: GoModuleFixture) => {
  const send = () => postUpload(url, { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip });
  try {
    return await send();
  } catch {
    return send();
  }
};
/** No retry: for the kill loop, where a dropped connection is the point. */
const upOnce = (url: string, f: GoModuleFixture) => postUpload(url, { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip });
const pseudo = (i: number) => `v0.0.0-20251106${String(80000 + i).padStart(6, '0')}-${i.toString(16).padStart(12, '0')}`;

describe('registry serve --storage s3:// (moto)', () => {
  it("201/200/409 as on disk, objects in Athens' layout; the real go downloads (Sum = h1) and builds a consumer through the read API", async () => {
    const bucket = await moto.newBucket();
    const reg = await serve(bucket);
    const fx = goModuleFixture(MOD, 'v1.2.3');
    const first = await up(reg.url, fx);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ module: MOD, version: 'v1.2.3', h1: fx.h1, stored: true });
    expect((await up(reg.url, fx)).status).toBe(200);
    expect((await up(reg.url, { ...fx, info: JSON.stringify({ Version: 'v1.2.3', Time: '2025-01-01T00:00:00Z' }) })).status).toBe(409);
    expect((await up(reg.url, { ...fx, version: 'v1.2' })).status).toBe(400);
    const o = await moto.objects(bucket);
    expect(await allKeys(o)).toEqual(['info', 'mod', 'zip'].map((e) => `${MOD}/@v/v1.2.3.${e}`).sort());
    const athens = new AthensS3View(o);
    expect(await athens.list(MOD)).toEqual(['v1.2.3']);
    expect((await athens.get(MOD, 'v1.2.3', 'zip'))!.equals(fx.zip)).toBe(true);

    const home = tmp('gohome-');
    const env = goEnv(home, reg.url);
    const dl = JSON.parse((await execa('go', ['mod', 'download', '-json', `${MOD}@v1.2.3`], { cwd: home, env, extendEnv: false })).stdout);
    expect(dl.Sum).toBe(fx.h1);
    const latest = JSON.parse((await execa('go', ['list', '-m', '-json', `${MOD}@latest`], { cwd: home, env, extendEnv: false })).stdout);
    expect(latest.Version).toBe('v1.2.3');
    const app = join(home, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'go.mod'), `module example.com/consumer\n\ngo 1.19\n\nrequire ${MOD} v1.2.3\n`);
    writeFileSync(join(app, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\tsdk "${MOD}"\n)\n\nfunc main() { fmt.Println(sdk.Value()) }\n`);
    await execa('go', ['build', '-o', 'app', '.'], { cwd: app, env, extendEnv: false });
    expect((await execa(join(app, 'app'))).stdout.trim()).toBe('v1.2.3');
    // A module the bucket does not hold is a 404 go falls through on.
    const miss = await fetch(`${reg.url}/golang.org/toolchain/@v/list`);
    expect(miss.status).toBe(404);
    expect(reg.stderr()).not.toMatch(/NodeVersionSupportWarning|AWS SDK/);
  });

  it('two replicas on one bucket: 50 racing uploads of one version → one stored, its identical twins 200/201, every different one 409; 2 × 100 versions all listed', async () => {
    const bucket = await moto.newBucket();
    const [a, b] = await Promise.all([serve(bucket), serve(bucket)]);
    const V = 'v0.9.0';
    const same = goModuleFixture(MOD, V, { body: 'same' });
    const others = Array.from({ length: 5 }, (_, i) => goModuleFixture(MOD, V, { body: `other-${i}` }));
    const uploads: GoModuleFixture[] = [];
    for (let i = 0; i < 25; i++) {
      uploads.push(same);
      const o = others[i % 5]!;
      uploads.push(i < 5 ? o : { ...o, info: JSON.stringify({ Version: V, Time: `2025-11-06T08:27:${String(i).padStart(2, '0')}Z` }) });
    }
    const results = await Promise.all(uploads.map((f, i) => up(i % 2 ? b.url : a.url, f)));
    const o = await moto.objects(bucket);
    const athens = new AthensS3View(o);
    const stored = { info: (await athens.get(MOD, V, 'info'))!.toString(), zip: (await athens.get(MOD, V, 'zip'))! };
    // At most one 201 (exactly one unless the winner's answer was lost and retried → 200).
    expect(results.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    uploads.forEach((f, i) => {
      const isStored = f.zip.equals(stored.zip) && JSON.stringify(JSON.parse(f.info)) + '\n' === stored.info;
      expect(results[i]!.status, `upload ${i}: ${JSON.stringify(results[i]!.body)}`).toBe(isStored ? (results[i]!.status === 201 ? 201 : 200) : 409);
    });
    expect(await athens.list(MOD)).toEqual([V]);
    expect(await athens.brokenVersions(MOD)).toEqual([]);

    // 2 × 100 distinct versions, 8 in flight per replica.
    const fxs = Array.from({ length: 200 }, (_, i) => goModuleFixture(MOD, pseudo(i)));
    const statuses: number[] = [];
    await Promise.all(
      [a, b].flatMap((reg, r) =>
        Array.from({ length: 8 }, async (_, lane) => {
          for (let i = lane; i < 100; i += 8) statuses.push((await up(reg.url, fxs[r * 100 + i]!)).status);
        }),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(200);
    const listed = (await (await fetch(`${a.url}/${MOD.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase())}/@v/list`)).text()).split('\n').filter(Boolean);
    expect(new Set(listed)).toEqual(new Set([V, ...fxs.map((f) => f.version)]));
    expect((await athens.list(MOD)).length).toBe(201);
    expect(await athens.brokenVersions(MOD)).toEqual([]);
  }, 300_000);

  it('kill -9 at crash points and at ≥ 20 random moments during uploads: Athens never sees a .info without .mod and .zip, every listed version is fetchable, retries succeed', async () => {
    const bucket = await moto.newBucket();
    const o = await moto.objects(bucket);
    const athens = new AthensS3View(o);
    const fetched = new Set<string>();
    /** No .info without .mod and .zip; every newly listed version fetchable through Athens' getter. */
    const check = async () => {
      expect(await athens.brokenByListing(MOD)).toEqual([]);
      for (const v of await athens.list(MOD)) {
        if (fetched.has(v)) continue;
        for (const ext of ['info', 'mod', 'zip'] as const) expect(await athens.get(MOD, v, ext), `${v}.${ext}`).not.toBeNull();
        fetched.add(v);
      }
    };
    // Named crash points first: before the commit nothing is visible, after it all is.
    const cp = goModuleFixture(MOD, 'v0.1.0');
    for (const point of ['s3:bodies', 's3:committed']) {
      const reg = await serve(bucket, [], { AMEIDE_PKG_FAILPOINT: point });
      await upOnce(reg.url, cp).catch(() => null);
      await reg.exited();
      expect(await athens.list(MOD)).toEqual(point === 's3:bodies' ? [] : ['v0.1.0']);
      await check();
    }
    // Random moments: uploads in flight (new versions and retries), SIGKILL after 0-250 ms.
    const fxs = Array.from({ length: 30 }, (_, i) => goModuleFixture(MOD, pseudo(1000 + i)));
    let kills = 0;
    const started = Date.now();
    // Bounded by kills; the time cap only matters on a machine far slower than usual.
    while (kills < 22 && Date.now() - started < 150_000) {
      const reg = await serve(bucket);
      const batch = Array.from({ length: 4 }, () => fxs[Math.floor(Math.random() * fxs.length)]!);
      const inflight = batch.map((f) => upOnce(reg.url, f).catch(() => null));
      await new Promise((r) => setTimeout(r, Math.random() * 250));
      await reg.stop('SIGKILL');
      kills++;
      await Promise.all(inflight);
      await check();
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    // Restart and retry everything: each upload succeeds (201, or 200 if it had committed).
    const reg = await serve(bucket);
    for (const f of [cp, ...fxs]) expect([200, 201]).toContain((await up(reg.url, f)).status);
    await check();
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    expect((await athens.list(MOD)).sort()).toEqual([cp, ...fxs].map((f) => f.version).sort());
  }, 240_000);
});
