import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { goEnv } from '../helpers/go.js';
import { postUpload, startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { writeGoKeepFile } from '../helpers/state.js';
import { goModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();

const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
/** A pseudo-version and its .info Time, `daysAgo` days back. */
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

const athens = (storage: string, v: string) => join(storage, ...MOD.split('/'), v);
const proxy = (storage: string, v: string, ext: string) => join(storage, MOD.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase()), '@v', `${v}.${ext}`);
const list = (storage: string) => readFileSync(join(storage, MOD, '@v', 'list'), 'utf8').split('\n').filter(Boolean);
const inBothLayouts = (storage: string, v: string) =>
  ['go.mod', 'source.zip', `${v}.info`].every((f) => existsSync(join(athens(storage, v), f))) && ['info', 'mod', 'zip'].every((e) => existsSync(proxy(storage, v, e)));
const inNeither = (storage: string, v: string) => !existsSync(athens(storage, v)) && ['info', 'mod', 'zip'].every((e) => !existsSync(proxy(storage, v, e)));

describe('gc --lang go', () => {
  let reg: RegistryProcess | undefined;
  afterEach(async () => {
    await reg?.stop();
    reg = undefined;
  });

  it('keeps pinned, tagged and the newest N, removes the rest from both layouts; go still resolves every kept version', async () => {
    const storage = tmp('gc-storage-');
    reg = await startRegistryProcess(['--storage', storage, '--read-api', '--quiet']);
    const versions = Array.from({ length: 8 }, (_, i) => pseudo(40 - i, i + 1)); // oldest first
    for (const v of versions) expect(await upload(reg.url, v.version, v.time)).toBe(201);
    expect(await upload(reg.url, 'v1.0.0', pseudo(50, 99).time)).toBe(201);
    const pinned = versions[1]!;
    const keepFile = writeGoKeepFile(join(tmp('keep-'), 'go.json'), MOD, pinned, reg.url);

    const dry = await runCli(['gc', '--storage', storage, '--keep', '3', '--keep-file', keepFile, '--dry-run', '--json']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.json.removed).toBe(4);
    expect(versions.every((v) => inBothLayouts(storage, v.version))).toBe(true);

    const r = await runCli(['gc', '--storage', storage, '--keep', '3', '--keep-file', keepFile]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 4 versions, freed \d+(\.\d+)? [kKM]?i?B/);
    const kept = [pinned.version, ...versions.slice(5).map((v) => v.version), 'v1.0.0'];
    const removed = versions.filter((v) => !kept.includes(v.version)).map((v) => v.version);
    expect(removed).toHaveLength(4);
    for (const v of removed) {
      expect(inNeither(storage, v), v).toBe(true);
      expect(r.stderr).toContain(`removed ${MOD}@${v}`);
    }
    for (const v of kept) expect(inBothLayouts(storage, v), v).toBe(true);
    expect(list(storage).sort()).toEqual([...kept].sort());

    // The real go, through the read API, resolves every kept version and no removed one.
    const home = tmp('go-home-');
    const env = goEnv(home, reg.url);
    for (const v of kept) {
      const dl = await execa('go', ['mod', 'download', '-json', `${MOD}@${v}`], { cwd: home, env, extendEnv: false, reject: false });
      expect(dl.exitCode, `${v}: ${dl.stdout}${dl.stderr}`).toBe(0);
    }
    const gone = await execa('go', ['mod', 'download', '-json', `${MOD}@${removed[0]}`], { cwd: home, env, extendEnv: false, reject: false });
    expect(gone.exitCode).not.toBe(0);

    const tags = await runCli(['gc', '--storage', storage, '--keep', '0', '--include-tags', '--keep-file', keepFile, '--json']);
    expect(tags.json.modules[0].removed.map((v: { version: string }) => v.version).sort()).toEqual([...versions.slice(5).map((v) => v.version), 'v1.0.0'].sort());
    expect(list(storage)).toEqual([pinned.version]);
  }, 120_000);

  it('uploads racing gc runs are never lost; list always matches the stored versions', async () => {
    const storage = tmp('gc-race-');
    reg = await startRegistryProcess(['--storage', storage, '--read-api', '--quiet']);
    const old = Array.from({ length: 6 }, (_, i) => pseudo(90 - i, 100 + i));
    for (const v of old) expect(await upload(reg.url, v.version, v.time)).toBe(201);
    const fresh = Array.from({ length: 6 }, (_, i) => pseudo(0, 200 + i));
    const fixtures = fresh.map((v) => {
      const f = goModuleFixture(MOD, v.version, { time: v.time });
      track(f.dir);
      return f;
    });
    const gcLoop = (async () => {
      for (let i = 0; i < 4; i++) {
        const r = await runCli(['gc', '--storage', storage, '--keep', '0', '--older-than', '1d', '--json']);
        expect(r.exitCode, r.stderr).toBe(0);
      }
    })();
    const uploads = Promise.all(fixtures.map((f) => postUpload(reg!.url, { module: MOD, version: f.version, info: f.info, mod: f.mod, zip: f.zip })));
    const [statuses] = await Promise.all([uploads, gcLoop]);
    expect(statuses.map((s) => s.status)).toEqual(fresh.map(() => 201));
    for (const v of fresh) expect(inBothLayouts(storage, v.version), v.version).toBe(true);
    for (const v of old) expect(inNeither(storage, v.version), v.version).toBe(true);
    expect(list(storage).sort()).toEqual(fresh.map((v) => v.version).sort());
  }, 120_000);

  it('rejects bad input with exit 2 and removes nothing', async () => {
    const storage = tmp('gc-bad-');
    const bad = join(tmp(), 'bad.json');
    writeFileSync(bad, '{"version": 1}');
    for (const args of [
      ['--keep', '-1'],
      ['--older-than', 'soon'],
      ['--keep-file', bad],
      ['--lang', 'ts'],
    ]) {
      const r = await runCli(['gc', '--storage', storage, ...args]);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await runCli(['gc', '--storage', join(storage, 'missing')])).stderr).toMatch(/does not exist/);
  });
});
