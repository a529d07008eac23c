import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { goEnv } from '../helpers/go.js';
import { postUpload, startRegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();

const upload = (url: string, f: GoModuleFixture) => postUpload(url, { module: f.module, version: f.version, info: f.info, mod: f.mod, zip: f.zip });

/** Both layouts agree: each version is wholly present in both, or absent from both; list matches. */
function assertConsistent(root: string, module: string): string[] {
  const athensVersions = existsSync(join(root, module))
    ? readdirSync(join(root, module)).filter((n) => n.startsWith('v'))
    : [];
  for (const v of athensVersions) {
    expect(readdirSync(join(root, module, v)).sort(), `${v} athens dir`).toEqual(['go.mod', 'source.zip', `${v}.info`].sort());
  }
  const vdir = join(root, module, '@v');
  const vfiles = existsSync(vdir) ? readdirSync(vdir) : [];
  expect(vfiles.filter((n) => n.startsWith('.')), 'no temp files left in @v').toEqual([]);
  const listed = existsSync(join(vdir, 'list')) ? readFileSync(join(vdir, 'list'), 'utf8').split('\n').filter(Boolean) : [];
  for (const v of listed) for (const ext of ['info', 'mod', 'zip']) expect(vfiles, `${v}.${ext}`).toContain(`${v}.${ext}`);
  expect([...listed].sort()).toEqual([...athensVersions].sort());
  expect(readdirSync(join(root, '.staging')), 'no staging left').toEqual([]);
  return listed;
}

describe('registry serve (process)', () => {
  it('prints "listening on", serves, and exits 0 on SIGTERM after finishing an in-flight upload', async () => {
    const root = tmp('regp-');
    const reg = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    const fx = goModuleFixture(MOD, 'v0.0.1');
    // Start a slow upload by hand, send SIGTERM while its body is still streaming.
    const boundary = '----ameide-test';
    const head = Buffer.from(
      [
        ['module', fx.module],
        ['version', fx.version],
        ['info', fx.info],
        ['mod', fx.mod],
      ]
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="zip"; filename="m.zip"\r\nContent-Type: application/zip\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const u = new URL(reg.url);
    const status = new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/upload', method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + fx.zip.length + tail.length } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(head);
      req.write(fx.zip.subarray(0, 100));
      setTimeout(() => {
        reg.proc.kill('SIGTERM');
        setTimeout(() => {
          req.write(fx.zip.subarray(100));
          req.end(tail);
        }, 300);
      }, 300);
    });
    expect(await status).toBe(201);
    expect(await reg.exited()).toBe(0);
    expect(reg.stderr()).toMatch(/SIGTERM: finishing in-flight requests/);
    assertConsistent(root, MOD);
    expect(readFileSync(join(root, MOD, '@v/list'), 'utf8')).toBe('v0.0.1\n');
  });

  const points = ['upload:received', 'store:staged', 'store:committed', 'proxy:temp-mod', 'proxy:renamed-zip', 'proxy:temp-info', 'proxy:renamed-info'];
  it.each(points)('kill -9 at %s: after restart the version is absent or complete in both layouts', async (point) => {
    const root = tmp('crash-');
    // One version stored cleanly first, so list consistency is checked with existing content.
    const base = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    const ok = goModuleFixture(MOD, 'v0.1.0');
    expect((await upload(base.url, ok)).status).toBe(201);
    await base.stop();

    const crashing = await startRegistryProcess(['--storage', root, '--read-api', '--quiet'], { AMEIDE_PKG_FAILPOINT: point });
    const fx = goModuleFixture(MOD, 'v0.2.0');
    await upload(crashing.url, fx).then(
      () => {},
      () => {},
    );
    await crashing.stop();
    expect(crashing.proc.signalCode).toBe('SIGKILL');

    const restarted = await startRegistryProcess(['--storage', root, '--read-api', '--quiet']);
    try {
      const listed = assertConsistent(root, MOD);
      const committed = ['store:committed', 'proxy:temp-mod', 'proxy:renamed-zip', 'proxy:temp-info', 'proxy:renamed-info'].includes(point);
      expect(listed).toEqual(committed ? ['v0.1.0', 'v0.2.0'] : ['v0.1.0']);
      // The client retries: the version ends up stored exactly once, as uploaded.
      const retry = await upload(restarted.url, fx);
      expect(retry.status).toBe(committed ? 200 : 201);
      const home = tmp('gohome-');
      const dl = await execa('go', ['mod', 'download', '-json', `${MOD}@v0.2.0`], { cwd: home, env: goEnv(home, restarted.url), extendEnv: false });
      expect(JSON.parse(dl.stdout).Sum).toBe(fx.h1);
    } finally {
      await restarted.stop();
    }
  });

  it('refuses bad flags with exit 2', async () => {
    const r = await execa(process.execPath, [join(import.meta.dirname, '../../dist/cli/main.js'), 'registry', 'serve', '--storage', tmp(), '--port', 'abc'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--port/);
    const tokenFile = join(tmp(), 'token');
    writeFileSync(tokenFile, '');
    const r2 = await execa(process.execPath, [join(import.meta.dirname, '../../dist/cli/main.js'), 'registry', 'serve', '--storage', tmp(), '--token-file', tokenFile], { reject: false });
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/empty/);
  });
});
