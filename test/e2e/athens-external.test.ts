import { execa } from 'execa';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AthensExternalClient } from '../helpers/athens-external.js';
import { goEnv } from '../helpers/go.js';
import { AthensS3View, startMoto, type Moto } from '../helpers/moto.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { goModuleFixture } from '../helpers/zips.js';

/**
 * Athens' external storage (StorageType = "external") pointed at the uploader, on both
 * backends: a client sending exactly what Athens' client sends saves, lists, reads and deletes;
 * without the secret path nothing is written or removed; the real go fetches what was saved.
 */
const { tmp } = scratchDirs();
const MOD = 'go.packages.example/Platform/sdk';
const V = 'v1.4.0-RC.1';
const SECRET = 'k3y-0f-at-least-16-chars_' + Date.now().toString(36);
let moto: Moto;
let reg: RegistryProcess | undefined;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});
afterEach(async () => {
  await reg?.stop();
  reg = undefined;
});

const backends = [
  { name: 'disk', storage: async () => ({ arg: tmp('ext-disk-'), extra: [] as string[] }) },
  { name: 's3', storage: async () => ({ arg: `s3://${await moto.newBucket()}`, extra: ['--s3-path-style'] }) },
];

describe.each(backends)("Athens external storage on $name", (backend) => {
  it('save/list/read/delete as Athens does; refused without the secret; the real go fetches the saved module', async () => {
    const { arg, extra } = await backend.storage();
    const secretFile = join(tmp('secret-'), 'secret');
    writeFileSync(secretFile, SECRET + '\n', { mode: 0o600 });
    reg = await startRegistryProcess(['--storage', arg, ...extra, '--read-api', '--external-storage-secret-file', secretFile], moto.env);
    const athens = new AthensExternalClient(`${reg.url}/athens/${SECRET}`);
    const fx = goModuleFixture(MOD, V);
    const files = { info: fx.info, mod: fx.mod, zip: fx.zip };

    // Without the secret (or with a wrong one) nothing is stored or removed.
    for (const url of [reg.url, `${reg.url}/athens/wrong-secret-0123456789`]) {
      const anon = new AthensExternalClient(url);
      const r = await anon.save(MOD, V, files);
      expect(r.status, url).toBe(403);
    }
    expect((await athens.get(MOD, '', 'list')).ok).toBe(false);

    expect(await athens.save(MOD, V, files)).toMatchObject({ status: 200 });
    expect((await athens.save(MOD, V, files)).status).toBe(200); // identical
    const other = await athens.save(MOD, V, { ...files, info: JSON.stringify({ Version: V, Time: '2025-01-01T00:00:00Z' }) });
    expect(other.status).toBe(409);
    const invalid = await athens.save(MOD, V, { ...files, mod: 'module example.com/other\n' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatch(/module/);

    expect(await athens.list(MOD)).toEqual([V]);
    expect(JSON.parse((await athens.get(MOD, V, 'info')).body.toString())).toEqual({ Version: V, Time: '2025-11-06T08:27:52Z' });
    expect((await athens.get(MOD, V, 'mod')).body.toString()).toBe(fx.mod);
    expect((await athens.get(MOD, V, 'zip')).body.equals(fx.zip)).toBe(true);
    if (backend.name === 'disk') expect(readdirSync(join(arg, ...MOD.split('/'), V)).sort()).toEqual(['go.mod', 'source.zip', `${V}.info`].sort());
    else expect(await new AthensS3View(await moto.objects(arg.slice(5))).list(MOD)).toEqual([V]);

    const home = tmp('go-home-');
    const env = goEnv(home, reg.url);
    const dl = JSON.parse((await execa('go', ['mod', 'download', '-json', `${MOD}@${V}`], { cwd: home, env, extendEnv: false })).stdout);
    expect(dl.Sum).toBe(fx.h1);

    expect(await new AthensExternalClient(reg.url).delete(MOD, V)).toBe(403);
    expect(await athens.list(MOD)).toEqual([V]);
    expect(await athens.delete(MOD, V)).toBe(200);
    const after = await athens.get(MOD, '', 'list'); // no versions: 404 (s3) or an empty list (disk keeps the list file)
    expect(after.ok ? after.body.toString() : '').toBe('');
    expect((await athens.get(MOD, V, 'zip')).ok).toBe(false);
    expect(await athens.delete(MOD, V)).toBe(404);
    const gone = await execa('go', ['mod', 'download', '-json', `${MOD}@${V}`], { cwd: tmp('go-home-'), env: goEnv(tmp('go-home-'), reg.url), extendEnv: false, reject: false });
    expect(gone.exitCode).not.toBe(0);

    expect(reg.stderr()).not.toContain(SECRET); // the secret path is never logged
  });
});

describe('external storage secret file', () => {
  it('is required to be long and URL-safe (exit 2)', async () => {
    const f = join(tmp('secret-'), 'short');
    writeFileSync(f, 'short');
    await expect(startRegistryProcess(['--storage', tmp('ext-'), '--external-storage-secret-file', f])).rejects.toThrow(/at least 16 URL-safe/);
  });
});
