import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { goEnv } from '../helpers/go.js';
import { AthensS3View, allKeys, startMoto, type Moto } from '../helpers/moto.js';
import { postUpload, startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { writeGoKeepFile } from '../helpers/state.js';
import { goModuleFixture } from '../helpers/zips.js';

/** gc --storage s3://… : the same retention rules and race guarantees as on disk. */
const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();
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

const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
function pseudo(daysAgo: number, n: number): { version: string; time: string } {
  const d = new Date(Date.now() - daysAgo * 86_400_000);
  d.setUTCMilliseconds(0);
  return { version: `v0.0.0-${stamp(d)}-${n.toString(16).padStart(12, 'a')}`, time: d.toISOString().replace('.000Z', 'Z') };
}
async function upload(url: string, version: string, time: string): Promise<number> {
  const f = goModuleFixture(MOD, version, { time });
  track(f.dir);
  return (await postUpload(url, { module: MOD, version, info: f.info, mod: f.mod, zip: f.zip })).status;
}
const gc = (bucket: string, args: string[]) => runCli(['gc', '--storage', `s3://${bucket}`, '--s3-path-style', ...args], { env: moto.env });

describe('gc --storage s3://', () => {
  it('keeps pinned, tagged and the newest N, removes the rest (.info and bodies); go resolves every kept version and no removed one', async () => {
    const bucket = await moto.newBucket();
    reg = await startRegistryProcess(['--storage', `s3://${bucket}`, '--s3-path-style', '--read-api', '--quiet'], moto.env);
    const versions = Array.from({ length: 8 }, (_, i) => pseudo(40 - i, i + 1));
    for (const v of versions) expect(await upload(reg.url, v.version, v.time)).toBe(201);
    expect(await upload(reg.url, 'v1.0.0', pseudo(50, 99).time)).toBe(201);
    const pinned = versions[1]!;
    const keepFile = writeGoKeepFile(join(tmp('keep-'), 'go.json'), MOD, pinned, reg.url);
    const o = await moto.objects(bucket);
    const athens = new AthensS3View(o);
    const dry = await gc(bucket, ['--keep', '3', '--keep-file', keepFile, '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.removed).toBe(4);
    expect((await athens.list(MOD)).length).toBe(9);

    const r = await gc(bucket, ['--keep', '3', '--keep-file', keepFile]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 4 versions, freed \d+(\.\d+)? [kKM]?i?B/);
    const kept = [pinned.version, ...versions.slice(5).map((v) => v.version), 'v1.0.0'];
    const removed = versions.map((v) => v.version).filter((v) => !kept.includes(v));
    expect((await athens.list(MOD)).sort()).toEqual([...kept].sort());
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    const keys = await allKeys(o);
    for (const v of removed) expect(keys.filter((k) => k.includes(v)), v).toEqual([]);
    expect(keys.filter((k) => k.includes('.ameide-pkg/'))).toEqual([]);

    const home = tmp('go-home-');
    const env = goEnv(home, reg.url);
    for (const v of kept) {
      const dl = await execa('go', ['mod', 'download', '-json', `${MOD}@${v}`], { cwd: home, env, extendEnv: false, reject: false });
      expect(dl.exitCode, `${v}: ${dl.stdout}${dl.stderr}`).toBe(0);
    }
    const gone = await execa('go', ['mod', 'download', '-json', `${MOD}@${removed[0]}`], { cwd: home, env, extendEnv: false, reject: false });
    expect(gone.exitCode).not.toBe(0);

    const tags = await gc(bucket, ['--keep', '0', '--include-tags', '--keep-file', keepFile, '--json']);
    expect(tags.json.modules[0].removed.map((v: { version: string }) => v.version).sort()).toEqual([...versions.slice(5).map((v) => v.version), 'v1.0.0'].sort());
    expect(await athens.list(MOD)).toEqual([pinned.version]);
  }, 120_000);

  it('uploads racing gc runs (new versions and re-uploads of the ones being removed) are never lost or left half', async () => {
    const bucket = await moto.newBucket();
    reg = await startRegistryProcess(['--storage', `s3://${bucket}`, '--s3-path-style', '--read-api', '--quiet'], moto.env);
    const old = Array.from({ length: 6 }, (_, i) => pseudo(90 - i, 100 + i));
    const oldFx = old.map((v) => goModuleFixture(MOD, v.version, { time: v.time }));
    for (const f of oldFx) expect((await postUpload(reg.url, { module: MOD, version: f.version, info: f.info, mod: f.mod, zip: f.zip })).status).toBe(201);
    const fresh = Array.from({ length: 6 }, (_, i) => pseudo(0, 200 + i));
    const fixtures = fresh.map((v) => goModuleFixture(MOD, v.version, { time: v.time }));
    const gcLoop = (async () => {
      for (let i = 0; i < 4; i++) {
        const r = await gc(bucket, ['--keep', '0', '--older-than', '1d', '--json']);
        expect(r.exitCode, r.stderr).toBe(0);
      }
    })();
    const uploads = Promise.all(fixtures.map((f) => postUpload(reg!.url, { module: MOD, version: f.version, info: f.info, mod: f.mod, zip: f.zip })));
    const reuploads = Promise.all(oldFx.map((f) => postUpload(reg!.url, { module: MOD, version: f.version, info: f.info, mod: f.mod, zip: f.zip })));
    const [statuses, restatuses] = await Promise.all([uploads, reuploads, gcLoop]);
    expect(statuses.map((s) => s.status)).toEqual(fresh.map(() => 201));
    for (const s of restatuses) expect([200, 201]).toContain(s.status);
    const athens = new AthensS3View(await moto.objects(bucket));
    const listed = await athens.list(MOD);
    for (const v of fresh) expect(listed).toContain(v.version);
    // Old versions are either gone or whole, never half.
    expect(await athens.brokenVersions(MOD)).toEqual([]);
    const final = await gc(bucket, ['--keep', '0', '--older-than', '1d', '--orphan-grace', '0s', '--json']);
    expect(final.exitCode, final.stderr).toBe(0);
    expect((await athens.list(MOD)).sort()).toEqual(fresh.map((v) => v.version).sort());
    // Nothing but the fresh versions' objects remains: orphans and trash are cleaned.
    expect((await allKeys(await moto.objects(bucket))).length).toBe(fresh.length * 3);
  }, 120_000);

  it('exit 2 for bad S3 flags; exit 1 with one line for an unreachable bucket', async () => {
    const r = await runCli(['gc', '--storage', 's3://Bad_Bucket'], { env: moto.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const g = await runCli(['gc', '--storage', 's3://no-such-bucket-here', '--s3-path-style'], { env: moto.env });
    expect(g.exitCode).toBe(1);
    expect(g.stderr).toMatch(/bucket does not exist/);
    expect(g.stderr).not.toContain('testing'); // no credentials in output
  });
});
