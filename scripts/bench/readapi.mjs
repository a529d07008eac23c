// Read-API benchmark: `registry serve --read-api` against nginx serving the SAME storage tree
// from disk (the GOPROXY layout `<root>/<escaped module>/@v/…` is a static file tree), in the
// same run, interleaved:
//   - `.info`, `.mod`, `@v/list`: requests/s with 32 connections (wrk)   goal >= 0.5x nginx
//   - `.zip` (~50 MB): single-download throughput, one at a time (curl)  goal >= 0.7x nginx
// Needs Debian `wrk` and `nginx-light`: found on PATH, else installed with apt-get when root.
// Usage: node scripts/bench/readapi.mjs [--strict]
//   DURATION=5 (s per wrk run)  ROUNDS=3  ZIP_MB=50  ZIP_ROUNDS=5  CONNECTIONS=32  WARMUP=2 (s per path and server)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import yazl from 'yazl';
import { finish, goal, loadavg, median, multipartParts, report, startRegistry, stop, uploadSmall } from './lib.mjs';

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ZIP_MB = Number(process.env.ZIP_MB ?? 50);
const ZIP_ROUNDS = Number(process.env.ZIP_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const WARMUP = Number(process.env.WARMUP ?? 2);
const SMALL = 'example.com/bench/readapi';
const SMALL_VERSIONS = 20;
const BIG = 'example.com/bench/bigzip';
const BIG_VERSION = 'v1.0.0';

// --- tools -------------------------------------------------------------------------------
function which(cmd, extra = []) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), ...extra]) if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  return null;
}
function ensureTools() {
  const find = () => ({ wrk: which('wrk'), nginx: which('nginx', ['/usr/sbin', '/sbin']), curl: which('curl') });
  let t = find();
  const missing = [!t.wrk && 'wrk', !t.nginx && 'nginx-light', !t.curl && 'curl'].filter(Boolean);
  if (missing.length === 0) {
    report('tools', `found wrk ${t.wrk}, nginx ${t.nginx}, curl ${t.curl}`);
    return t;
  }
  if (process.getuid?.() !== 0) throw new Error(`missing ${missing.join(', ')}: install them (apt-get install ${missing.join(' ')}) or run as root`);
  console.log(`installing ${missing.join(' ')} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  }
  t = find();
  if (!t.wrk || !t.nginx || !t.curl) throw new Error(`apt-get could not provide ${missing.join(', ')}`);
  report('tools', `installed ${missing.join(' ')} with apt-get; wrk ${t.wrk}, nginx ${t.nginx}`);
  return t;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

// --- nginx as a foreground process with a generated config ---------------------------------
async function startNginx(nginx, root, work) {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'nginx-'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  types { application/json info; text/plain mod list; application/zip zip; }
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const proc = spawn(nginx, ['-c', conf, '-p', dir, '-e', `${dir}/error.log`], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}`);
    const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${url}/`]);
    if (r.stdout && String(r.stdout) !== '000') return { proc, url };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nginx did not start');
}

// --- measurements -------------------------------------------------------------------------
function wrkRps(wrk, url, seconds = DURATION) {
  const out = execFileSync(wrk, ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1];
  const errors = /Socket errors:.*/.exec(out)?.[0];
  if (!rps) throw new Error(`wrk printed no rate for ${url}:\n${out}`);
  if (non2xx) throw new Error(`${url}: ${non2xx} non-2xx responses`);
  return { rps, errors };
}

function curlMbps(url, size) {
  const out = execFileSync('curl', ['-s', '-f', '-o', '/dev/null', '-w', '%{size_download} %{speed_download}', url], { encoding: 'utf8' });
  const [got, speed] = out.trim().split(' ').map(Number);
  if (got !== size) throw new Error(`${url}: downloaded ${got} bytes, expected ${size}`);
  return speed / 1e6;
}

async function bigZip(path) {
  const z = new yazl.ZipFile();
  const prefix = `${BIG}@${BIG_VERSION}/`;
  z.addBuffer(Buffer.from(`module ${BIG}\n`), `${prefix}go.mod`);
  for (let i = 0; i < 5; i++) z.addBuffer(randomBytes((ZIP_MB << 20) / 5), `${prefix}data/blob${i}.bin`, { compress: false });
  z.end();
  await new Promise((res, rej) => z.outputStream.pipe(createWriteStream(path)).on('finish', res).on('error', rej));
}

async function uploadFile(url, zipPath) {
  const { request } = await import('undici');
  const { contentType, head, tail } = multipartParts(BIG, BIG_VERSION);
  const body = new PassThrough();
  body.write(head);
  const zs = createReadStream(zipPath);
  zs.on('end', () => body.end(tail));
  zs.pipe(body, { end: false });
  const size = statSync(zipPath).size;
  const res = await request(`${url}/upload`, { method: 'POST', body, headers: { 'content-type': contentType, 'content-length': String(head.length + size + tail.length) } });
  const text = await res.body.text();
  if (res.statusCode !== 201) throw new Error(`upload of the big zip: ${res.statusCode} ${text}`);
}

// --- run ----------------------------------------------------------------------------------
const tools = ensureTools();
const work = mkdtempSync(join(tmpdir(), 'bench-readapi-'));
const storage = join(work, 'storage');
let reg;
let ngx;
try {
  reg = await startRegistry(storage, ['--read-api']);
  // Fill the tree through the real upload path, so both servers read what the uploader wrote.
  for (let i = 0; i < SMALL_VERSIONS; i++) {
    const r = await uploadSmall(reg.url, SMALL, `v0.1.${i}`);
    if (r.status !== 201) throw new Error(`upload v0.1.${i}: ${r.status} ${r.body}`);
  }
  const zipPath = join(work, 'big.zip');
  await bigZip(zipPath);
  await uploadFile(reg.url, zipPath);
  const zipSize = statSync(join(storage, BIG, '@v', `${BIG_VERSION}.zip`)).size;
  ngx = await startNginx(tools.nginx, storage, work);

  const paths = {
    info: `/${SMALL}/@v/v0.1.7.info`,
    mod: `/${SMALL}/@v/v0.1.7.mod`,
    list: `/${SMALL}/@v/list`,
  };
  // Both servers must answer byte-identically before their speed means anything.
  for (const p of Object.values(paths)) {
    const a = execFileSync('curl', ['-s', '-f', reg.url + p]);
    const b = execFileSync('curl', ['-s', '-f', ngx.url + p]);
    if (!a.equals(b)) throw new Error(`${p}: registry and nginx answer differently`);
  }
  report('setup', `${SMALL_VERSIONS} versions of ${SMALL}; ${(zipSize / 1e6).toFixed(1)} MB zip of ${BIG}; wrk -t2 -c${CONNECTIONS} -d${DURATION}s × ${ROUNDS} rounds; load average ${loadavg()}`);

  // Warm-up, not measured: both servers see every path first (node compiles its hot code
  // under load; nginx fills its caches), so the rounds compare steady states.
  for (const p of Object.values(paths)) for (const s of [reg, ngx]) wrkRps(tools.wrk, s.url + p, WARMUP);

  const ratios = {};
  for (const [kind, p] of Object.entries(paths)) {
    const ours = [];
    const theirs = [];
    const per = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first so drift in machine load hits both sides alike.
      const [a, b] = round % 2 ? [ngx, reg] : [reg, ngx];
      const ra = wrkRps(tools.wrk, a.url + p).rps;
      const rb = wrkRps(tools.wrk, b.url + p).rps;
      const r = a === reg ? { ours: ra, nginx: rb } : { ours: rb, nginx: ra };
      ours.push(r.ours);
      theirs.push(r.nginx);
      per.push(r.ours / r.nginx);
    }
    ratios[kind] = median(per);
    report(`${kind.padEnd(4)} req/s`, `registry ${median(ours).toFixed(0)}, nginx ${median(theirs).toFixed(0)} (medians of ${ROUNDS})`);
  }

  const zipPathUrl = `/${BIG}/@v/${BIG_VERSION}.zip`;
  const zo = [];
  const zn = [];
  const zr = [];
  curlMbps(reg.url + zipPathUrl, zipSize); // warm the page cache for both
  curlMbps(ngx.url + zipPathUrl, zipSize);
  for (let round = 0; round < ZIP_ROUNDS; round++) {
    const o = curlMbps(reg.url + zipPathUrl, zipSize);
    const n = curlMbps(ngx.url + zipPathUrl, zipSize);
    zo.push(o);
    zn.push(n);
    zr.push(o / n);
  }
  report('.zip MB/s', `registry ${median(zo).toFixed(0)}, nginx ${median(zn).toFixed(0)} (medians of ${ZIP_ROUNDS} single downloads)`);

  for (const kind of ['info', 'mod', 'list']) goal(`${kind === 'list' ? '@v/list' : '.' + kind} req/s ratio vs nginx`, ratios[kind], '>=', 0.5, 'x');
  goal('.zip throughput ratio vs nginx', median(zr), '>=', 0.7, 'x');
} finally {
  if (reg) await stop(reg.proc);
  if (ngx) await stop(ngx.proc);
  rmSync(work, { recursive: true, force: true });
}
finish();
