import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMoto, type Moto } from '../helpers/moto.js';
import { postUpload, startRegistryProcess } from '../helpers/registry.js';
import { CLI, scratchDirs } from '../helpers/repo.js';
import { goModuleFixture } from '../helpers/zips.js';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AthensS3View } from '../helpers/moto.js';

/** Start-up behaviour around S3: SDK loaded only when used; conditional-write detection; --goproxy-root. */
const { tmp } = scratchDirs();
let moto: Moto;
let stripper: Server;
let stripperUrl: string;
beforeAll(async () => {
  moto = await startMoto();
  // An S3 endpoint that ignores conditional writes: forwards to moto without If-None-Match.
  const target = new URL(moto.endpoint);
  stripper = createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers['if-none-match'];
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => stripper.listen(0, '127.0.0.1', r));
  stripperUrl = `http://127.0.0.1:${(stripper.address() as AddressInfo).port}`;
});
afterAll(async () => {
  stripper?.close();
  await moto?.stop();
});

describe('S3 start-up', () => {
  it('commands that do not use S3 never import the AWS SDK', async () => {
    // Record every module the built CLI loads while running `version`: through require()
    // (the bundle is CommonJS) and through the ESM loader (a dynamic import()).
    const dir = tmp('hook-');
    const cjs = join(dir, 'hook.cjs');
    writeFileSync(
      cjs,
      `const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/@aws-sdk|@smithy/.test(request)) process.stderr.write('IMPORTED ' + request + '\\n');
  return load.call(this, request, ...rest);
};
`,
    );
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { register } from 'node:module';
import { createRequire } from 'node:module';
createRequire(import.meta.url)(${JSON.stringify(cjs)});
register('data:text/javascript,' + encodeURIComponent(\`
export async function resolve(spec, ctx, next) {
  if (spec.includes('@aws-sdk') || spec.includes('@smithy')) process.stderr.write('IMPORTED ' + spec + '\\\\n');
  return next(spec, ctx);
}\`));
`,
    );
    const r = await execa(process.execPath, ['--import', hook, CLI, 'version', '--lang', 'go'], { reject: false, cwd: tmp('cwd-'), env: { CI: 'true' } });
    expect(r.stderr).not.toContain('IMPORTED');
    // The hook does see the SDK when S3 is used (so the assertion above can fail).
    const s = await execa(process.execPath, ['--import', hook, CLI, 'gc', '--storage', `s3://${await moto.newBucket()}`, '--s3-path-style', '--dry-run'], {
      reject: false,
      env: { ...process.env, ...moto.env },
    });
    expect(s.stderr).toContain('IMPORTED @aws-sdk/client-s3');
    expect(s.exitCode, s.stderr).toBe(0);
    expect(s.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });

  it('an endpoint that ignores If-None-Match is refused (exit 2, one line naming --s3-single-writer) unless single-writer mode is asked for', async () => {
    const bucket = await moto.newBucket();
    const env = { ...moto.env, AWS_ENDPOINT_URL_S3: stripperUrl };
    const r = await runCli(['registry', 'serve', '--storage', `s3://${bucket}`, '--s3-path-style'], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/If-None-Match.*--s3-single-writer/);
    const reg = await startRegistryProcess(['--storage', `s3://${bucket}`, '--s3-path-style', '--s3-single-writer', '--read-api'], env);
    try {
      const fx = goModuleFixture('example.com/single', 'v1.0.0');
      const up = () => postUpload(reg.url, { module: fx.module, version: fx.version, info: fx.info, mod: fx.mod, zip: fx.zip });
      expect((await up()).status).toBe(201);
      expect((await up()).status).toBe(200);
      expect(reg.stderr()).toMatch(/single-writer mode/);
    } finally {
      await reg.stop();
    }
  });

  it('--goproxy-root keeps the @v tree out of the Athens root (Athens /catalog stays clean); reads and gc use it', async () => {
    const root = tmp('athens-root-');
    const proxy = tmp('goproxy-root-');
    const reg = await startRegistryProcess(['--storage', root, '--goproxy-root', proxy, '--read-api', '--quiet']);
    try {
      const fx = goModuleFixture('example.com/split', 'v1.0.0');
      expect((await postUpload(reg.url, { module: fx.module, version: fx.version, info: fx.info, mod: fx.mod, zip: fx.zip })).status).toBe(201);
      const infos: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(d, e.name));
          else if (e.name.endsWith('.info')) infos.push(join(d, e.name).slice(root.length + 1));
        }
      };
      walk(root);
      expect(infos).toEqual(['example.com/split/v1.0.0/v1.0.0.info']); // Athens' catalog walk sees only real versions
      expect(existsSync(join(proxy, 'example.com/split/@v/v1.0.0.zip'))).toBe(true);
      expect(await (await fetch(`${reg.url}/example.com/split/@v/list`)).text()).toBe('v1.0.0\n');
    } finally {
      await reg.stop();
    }
    const g = await runCli(['gc', '--storage', root, '--goproxy-root', proxy, '--keep', '0', '--include-tags', '--json']);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(g.json.removed).toBe(1);
    expect(existsSync(join(proxy, 'example.com/split/@v/v1.0.0.zip'))).toBe(false);
  });

  it('dev --storage s3://… keeps the Go modules in the bucket (npm and Python in a temp dir)', async () => {
    const bucket = await moto.newBucket();
    const dev = spawn(process.execPath, [CLI, 'dev', '--storage', `s3://${bucket}`, '--s3-path-style', '-C', tmp('dev-cwd-')], {
      env: { ...process.env, ...moto.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const goUrl = await new Promise<string>((resolve, reject) => {
        let err = '';
        dev.stderr!.on('data', (c) => (err += c));
        dev.once('exit', (code) => reject(new Error(`dev exited ${code}: ${err}`)));
        createInterface({ input: dev.stdout! }).on('line', (line) => {
          const m = /^export GO_REGISTRY_URL=(\S+)$/.exec(line);
          if (m) resolve(m[1]!);
        });
      });
      const fx = goModuleFixture('example.com/devs3', 'v0.1.0');
      expect((await postUpload(goUrl, { module: fx.module, version: fx.version, info: fx.info, mod: fx.mod, zip: fx.zip })).status).toBe(201);
      expect(await new AthensS3View(await moto.objects(bucket)).list('example.com/devs3')).toEqual(['v0.1.0']);
    } finally {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGINT');
      await exited;
    }
  }, 90_000);
});
