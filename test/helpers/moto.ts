import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { s3Objects } from '../../src/registry/go/s3/open.js';
import type { S3Objects } from '../../src/registry/go/s3/objects.js';

/**
 * A real S3-compatible server for tests: moto_server on 127.0.0.1 (path-style, any
 * credentials, honours If-None-Match: * on signed requests). One server per test file, a fresh
 * bucket per test. scripts/test.sh makes sure moto_server exists; here a missing one fails.
 */
export interface Moto {
  endpoint: string;
  /** Env for the SDK (ours and child processes). */
  env: Record<string, string>;
  newBucket(): Promise<string>;
  objects(bucket: string): Promise<S3Objects>;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const proc: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  proc.stdout!.resume();
  const spawnFailed = new Promise<never>((_, reject) =>
    proc.once('error', (e) => reject(new Error(`moto_server could not start (${e.message}): install it with pip install 'moto[server]' (scripts/test.sh does)`))),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await Promise.race([fetch(endpoint + '/').then(() => true, () => false), spawnFailed]);
    if (ok) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`moto_server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
  Object.assign(process.env, env);
  return {
    endpoint,
    env,
    async newBucket() {
      const bucket = `t-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
      const r = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
      if (!r.ok) {
        // moto wants signed bucket creation on some versions: fall back to the SDK.
        const o = await s3Objects(bucket, true);
        const { loadSdk } = await import('../../src/registry/go/s3/open.js');
        const { sdk } = await loadSdk();
        await o.client.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
      }
      return bucket;
    },
    objects: (bucket) => s3Objects(bucket, true),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** Every key in the bucket (under `prefix`). */
export async function allKeys(o: S3Objects, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of o.list(prefix)) keys.push(k.key);
  return keys.sort();
}

/**
 * What Athens' S3 backend sees, written from its lister/checker/getter: the lister pages
 * ListObjectsV2 under "<module>/@v" and counts every ".info" key's last segment as a version;
 * the checker HEADs .info, .mod and .zip; the getter GETs one key.
 */
export class AthensS3View {
  constructor(private readonly o: S3Objects) {}

  async list(module: string): Promise<string[]> {
    const versions: string[] = [];
    for await (const k of this.o.list(module.replace(/\/$/, '') + '/@v')) {
      if (!k.key.endsWith('.info')) continue;
      versions.push(k.key.split('/').at(-1)!.slice(0, -'.info'.length));
    }
    return versions;
  }

  async exists(module: string, version: string): Promise<boolean> {
    const heads = await Promise.all(['info', 'mod', 'zip'].map((e) => this.o.head(`${module}/@v/${version}.${e}`)));
    return heads.every((h) => h !== null);
  }

  async get(module: string, version: string, ext: 'info' | 'mod' | 'zip'): Promise<Buffer | null> {
    return (await this.o.getBuffer(`${module}/@v/${version}.${ext}`))?.data ?? null;
  }

  /** The same invariant from one listing (cheap enough to run after every kill). */
  async brokenByListing(module: string): Promise<string[]> {
    const keys = new Set<string>();
    for await (const k of this.o.list(module + '/@v/')) keys.add(k.key);
    const broken: string[] = [];
    for (const k of keys) {
      if (!k.endsWith('.info')) continue;
      const base = k.slice(0, -'.info'.length);
      if (!keys.has(base + '.mod') || !keys.has(base + '.zip')) broken.push(base.split('/').at(-1)!);
    }
    return broken;
  }

  /** Athens' invariant as the issue states it: no listed version lacks .mod or .zip. */
  async brokenVersions(module: string): Promise<string[]> {
    const broken: string[] = [];
    for (const v of await this.list(module)) if (!(await this.exists(module, v))) broken.push(v);
    return broken;
  }
}
