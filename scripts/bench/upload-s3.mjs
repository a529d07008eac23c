// Upload benchmark for the S3 backend: push a module zip (default ~200 MB) to
// `ameide-pkg registry serve --storage s3://…` and, in the same run, PutObject the same bytes
// with the same SDK to the same S3 endpoint (a moto_server started here, or AWS_ENDPOINT_URL_S3
// + S3_BENCH_BUCKET for a real one). Reports the throughput ratio (goal >= 0.7x) and the
// registry's peak RSS (goal <= 150 MB).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import yazl from 'yazl';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const { S3Client, PutObjectCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');

const SIZE_MB = Number(process.env.SIZE_MB ?? 200);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'bench-upload-s3-'));
const MOD = 'example.com/bench/big';

const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });

let moto;
let endpoint = process.env.S3_BENCH_BUCKET ? process.env.AWS_ENDPOINT_URL_S3 : undefined;
if (!endpoint) {
  const port = await freePort();
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(endpoint).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const env = { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1', AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'bench', AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench' };
Object.assign(process.env, env);
const client = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
const bucket = process.env.S3_BENCH_BUCKET ?? `bench-${Date.now()}`;
if (!process.env.S3_BENCH_BUCKET) await client.send(new CreateBucketCommand({ Bucket: bucket }));

async function makeZip(path, version) {
  const z = new yazl.ZipFile();
  const prefix = `${MOD}@${version}/`;
  z.addBuffer(Buffer.from(`module ${MOD}\n`), `${prefix}go.mod`);
  const files = 8;
  for (let i = 0; i < files; i++) z.addBuffer(randomBytes((SIZE_MB << 20) / files), `${prefix}data/blob${i}.bin`, { compress: false });
  z.end();
  await new Promise((res, rej) => z.outputStream.pipe(createWriteStream(path)).on('finish', res).on('error', rej));
}

function startRegistry() {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'registry', 'serve', '--storage', `s3://${bucket}/registry`, '--s3-path-style', '--quiet'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      m ? resolve({ proc, url: m[1] }) : reject(new Error(line));
    });
    proc.once('exit', (c) => reject(new Error(`exited ${c}`)));
  });
}

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function postUpload(url, zipPath, version) {
  const boundary = 'bench-' + randomUUID();
  const fields = { module: MOD, version, info: JSON.stringify({ Version: version, Time: '2025-01-01T00:00:00Z' }), mod: `module ${MOD}\n` };
  const head = Buffer.from(
    Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"${k === 'info' || k === 'mod' ? `; filename="${k}"` : ''}\r\n\r\n${v}\r\n`).join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="zip"; filename="source.zip"\r\nContent-Type: application/zip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = statSync(zipPath).size;
  const body = new PassThrough({ highWaterMark: 1 << 20 });
  body.write(head);
  const zs = createReadStream(zipPath, { highWaterMark: 1 << 20 });
  zs.on('end', () => body.end(tail));
  zs.pipe(body, { end: false });
  const t = process.hrtime.bigint();
  const res = await request(`${url}/upload`, { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) } });
  const text = await res.body.text();
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  if (res.statusCode !== 201) throw new Error(`${res.statusCode}: ${text}`);
  return size / 1e6 / secs;
}

async function plainPut(zipPath, key) {
  const size = statSync(zipPath).size;
  const t = process.hrtime.bigint();
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(zipPath, { highWaterMark: 1 << 20 }), ContentLength: size }));
  return size / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9);
}

const results = { put: [], registry: [], rss: 0 };
let size = 0;
for (let round = 0; round < ROUNDS; round++) {
  const version = `v0.0.0-2025010100000${round}-abcdefabcdef`;
  const zipPath = join(work, `big-${round}.zip`);
  console.log(`round ${round + 1}: generating ~${SIZE_MB} MB module zip …`);
  await makeZip(zipPath, version);
  size = statSync(zipPath).size;
  results.put.push(await plainPut(zipPath, `plain/${round}.zip`));
  const reg = await startRegistry();
  results.registry.push(await postUpload(reg.url, zipPath, version));
  results.rss = Math.max(results.rss, peakRssMb(reg.proc.pid));
  reg.proc.kill();
  rmSync(zipPath, { force: true });
}
const best = (xs) => Math.max(...xs);
const putMbps = best(results.put);
const regMbps = best(results.registry);
console.log(`zip size:                     ${(size / 1e6).toFixed(0)} MB, S3 endpoint ${moto ? 'moto_server (local)' : endpoint}`);
console.log(`plain PutObject (same SDK):   ${putMbps.toFixed(0)} MB/s (best of ${ROUNDS})`);
console.log(`registry serve /upload to S3: ${regMbps.toFixed(0)} MB/s (best of ${ROUNDS}; includes HTTP receive, zip check + h1, sha256, conditional writes)`);
console.log(`throughput ratio: ${(regMbps / putMbps).toFixed(2)}x (goal >= 0.7x) ${regMbps / putMbps >= 0.7 ? 'OK' : 'BELOW GOAL'}`);
console.log(`registry peak RSS: ${results.rss.toFixed(0)} MB (goal <= 150 MB) ${results.rss <= 150 ? 'OK' : 'OVER GOAL'}`);
moto?.kill();
rmSync(work, { recursive: true, force: true });
