// Upload benchmark: push a ~400 MB module zip to `ameide-pkg registry serve` and to a raw
// Node http sink that only writes the body to the same disk, in the same run; report the
// throughput ratio (goal >= 0.8x) and the registry's peak RSS (goal <= 150 MB).
// Usage: node scripts/bench/upload.mjs [--strict]   (SIZE_MB=400 ROUNDS=2 by default)
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import yazl from 'yazl';
import { finish, goal } from './lib.mjs';

const SIZE_MB = Number(process.env.SIZE_MB ?? 400);
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'bench-upload-'));
const MOD = 'example.com/bench/big';
const VERSION = 'v0.0.0-20250101000000-abcdefabcdef';

async function makeZip(path) {
  const z = new yazl.ZipFile();
  const prefix = `${MOD}@${VERSION}/`;
  z.addBuffer(Buffer.from(`module ${MOD}\n`), `${prefix}go.mod`);
  const files = 8;
  for (let i = 0; i < files; i++) z.addBuffer(randomBytes((SIZE_MB << 20) / files), `${prefix}data/blob${i}.bin`, { compress: false });
  z.end();
  await new Promise((res, rej) => z.outputStream.pipe(createWriteStream(path)).on('finish', res).on('error', rej));
}

function startProcess(args, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      m ? resolve({ proc, url: m[1] }) : reject(new Error(line));
    });
    proc.once('exit', (c) => reject(new Error(`exited ${c}`)));
  });
}

function peakRssMb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(s)[1]) / 1024;
}

async function post(url, zipPath) {
  const boundary = 'bench-' + randomUUID();
  const fields = { module: MOD, version: VERSION, info: JSON.stringify({ Version: VERSION, Time: '2025-01-01T00:00:00Z' }), mod: `module ${MOD}\n` };
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
  if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`${res.statusCode}: ${text}`);
  return { secs, mbps: size / 1e6 / secs };
}

const SINK = `
const http = require('http'); const fs = require('fs'); const path = require('path');
let n = 0;
const server = http.createServer((req, res) => {
  const file = path.join(process.argv[1], 'body-' + (n++));
  const out = fs.createWriteStream(file);
  req.pipe(out);
  out.on('finish', () => { const fd = fs.openSync(file, 'r'); fs.fsyncSync(fd); fs.closeSync(fd); res.writeHead(201); res.end('{}'); });
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
`;

const zipPath = join(work, 'big.zip');
console.log(`generating ~${SIZE_MB} MB module zip …`);
await makeZip(zipPath);
const size = statSync(zipPath).size;

const results = { sink: [], registry: [] };
const ROUNDS = Number(process.env.ROUNDS ?? 2);
for (let round = 0; round < ROUNDS; round++) {
  const sinkDir = mkdtempSync(join(work, 'sink-'));
  const sink = await startProcess(['-e', SINK, sinkDir]);
  results.sink.push(await post(sink.url, zipPath));
  sink.proc.kill();
  rmSync(sinkDir, { recursive: true, force: true });

  const storage = mkdtempSync(join(work, 'storage-'));
  const reg = await startProcess([join(root, 'dist/cli/main.js'), 'registry', 'serve', '--storage', storage, '--quiet']);
  results.registry.push(await post(reg.url, zipPath));
  results.rss = Math.max(results.rss ?? 0, peakRssMb(reg.proc.pid));
  reg.proc.kill();
  rmSync(storage, { recursive: true, force: true });
}
const best = (xs) => Math.max(...xs.map((x) => x.mbps));
const sinkMbps = best(results.sink);
const regMbps = best(results.registry);
console.log(`zip size:               ${(size / 1e6).toFixed(0)} MB`);
console.log(`raw http sink:          ${sinkMbps.toFixed(0)} MB/s (best of ${ROUNDS})`);
console.log(`registry serve /upload: ${regMbps.toFixed(0)} MB/s (best of ${ROUNDS}; includes zip check + h1 + both layouts)`);
goal('upload throughput ratio vs raw sink', regMbps / sinkMbps, '>=', 0.8, 'x');
goal('registry peak RSS', results.rss, '<=', 150, ' MB', 0);
rmSync(work, { recursive: true, force: true });
finish();
