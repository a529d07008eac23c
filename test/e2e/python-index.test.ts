import { execa } from 'execa';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPythonIndex, type PythonIndex } from '../../src/registry/python/index.js';
import { MAX_FILENAME } from '../../src/registry/python/filename.js';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { startRegistryProcess } from '../helpers/registry.js';
import { CLI, scratchDirs } from '../helpers/repo.js';

const { tmp } = scratchDirs();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const basic = (pair: string) => 'Basic ' + Buffer.from(pair).toString('base64');

/** The legacy upload form twine sends, for `content` named `filename`. */
function form(content: Buffer, filename: string, over: Record<string, string> = {}): FormData {
  const fd = new FormData();
  const fields: Record<string, string> = {
    ':action': 'file_upload',
    protocol_version: '1',
    name: 'rtpkg',
    version: '1.4',
    filetype: filename.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
    pyversion: filename.endsWith('.whl') ? 'py3' : 'source',
    metadata_version: '2.1',
    sha256_digest: sha(content),
    ...over,
  };
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('content', new Blob([content]), filename);
  return fd;
}

async function post(url: string, fd: FormData, auth = 'u:p'): Promise<{ status: number; body: any; statusText: string }> {
  const res = await fetch(url, { method: 'POST', body: fd, headers: { authorization: basic(auth) } });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body, statusText: res.statusText };
}

/** A real (tiny) wheel twine can read: METADATA says `version`, the file is called `filename`. */
function makeWheel(dir: string, filename: string, version: string, padBytes = 0): string {
  const path = join(dir, filename);
  execFileSync('/usr/bin/python3', [
    '-c',
    String.raw`
import sys, os, zipfile
path, version, pad = sys.argv[1], sys.argv[2], int(sys.argv[3])
di = "rtpkg-%s.dist-info" % version
with zipfile.ZipFile(path, "w") as z:
    z.writestr(di + "/METADATA", "Metadata-Version: 2.1\nName: rtpkg\nVersion: %s\n" % version)
    z.writestr(di + "/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("rtpkg/__init__.py", "")
    if pad:
        z.writestr("rtpkg/pad.bin", os.urandom(pad), compress_type=zipfile.ZIP_STORED)
    z.writestr(di + "/RECORD", "")
`,
    path,
    version,
    String(padBytes),
  ]);
  return path;
}

/** Files visible in a Python storage root (bookkeeping dirs excluded). */
function projectFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .flatMap((p) => readdirSync(join(root, p)).map((f) => `${p}/${f}`))
    .sort();
}

/** Send only the request head (the body is "still coming") and resolve with the answer. */
function headOnly(url: string, headers: Record<string, string | number>): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('Python index: an upload must match its file name', () => {
  let reg: RunningRegistry;
  let store: string;
  let url: string;
  beforeAll(async () => {
    store = tmp('pystore-');
    reg = await startRegistry({ storage: tmp('goreg-'), python: { prefix: '/pypi', storage: store, username: 'u', password: 'p' } });
    url = `${reg.url}/pypi/`;
  });
  afterAll(() => reg.close());
  const bytes = Buffer.from('wheel bytes');

  it('400 when the version field differs from the file name version; nothing stored', async () => {
    const r = await post(url, form(bytes, 'rtpkg-1.5-py3-none-any.whl', { version: '1.4' }));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/has version 1\.5, but the version field is 1\.4/);
    // twine shows the status line: it carries the reason too.
    expect(r.statusText).toMatch(/version field is 1\.4/);
    expect(projectFiles(store)).toEqual([]);
  });

  it('400 on malformed or foreign file names and on a filetype that does not fit', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['rtpkg-evil-1.4-py3-none-any.whl', {}, /version "evil"/],
      ['rtpkg-1.5.whl', { version: '1.5' }, /not a wheel name/],
      ['other-1.4-py3-none-any.whl', {}, /project "other", not rtpkg/],
      ['rtpkg-1.4.tar.gz', { filetype: 'bdist_wheel' }, /needs a \.whl/],
      ['rtpkg-1.4-py3-none-any.whl', { filetype: 'sdist' }, /needs a \.tar\.gz/],
      ['rtpkg-1.4.exe', { filetype: 'sdist' }, /must end in/],
      ['rtpkg-1.4-py3-none-any.whl', { version: 'one' }, /version field "one" is not a PEP 440 version/],
    ];
    for (const [name, over, msg] of cases) {
      const r = await post(url, form(bytes, name, over));
      expect(r.status, name).toBe(400);
      expect(r.body.error, name).toMatch(msg);
    }
    expect(projectFiles(store)).toEqual([]);
  });

  it('the shared multipart receiver: too many files, or a content part without a file name, is a 400 naming it; nothing stored', async () => {
    const many = form(bytes, 'rtpkg-1.4-py3-none-any.whl');
    many.append('gpg_signature', new Blob([Buffer.from('sig')]), 'x.asc');
    many.append('extra', new Blob([Buffer.from('x')]), 'x.bin');
    const r = await post(url, many);
    expect([r.status, r.body.error]).toEqual([400, 'too many multipart files']);
    const unnamed = form(bytes, 'rtpkg-1.4-py3-none-any.whl');
    unnamed.delete('content');
    unnamed.append('content', new Blob([bytes]), '');
    const u = await post(url, unnamed);
    expect(u.status).toBe(400);
    expect(u.body.error).toMatch(/content part has no file name|missing field\(s\): content/);
    expect(projectFiles(store)).toEqual([]);
  });

  it('stores matching names (versions compared as PEP 440); identical re-upload 200, other bytes 409', async () => {
    const first = await post(url, form(bytes, 'RtPkg-1.4.0-py3-none-any.whl', { version: '1.4' }));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stored: true });
    const again = await post(url, form(bytes, 'RtPkg-1.4.0-py3-none-any.whl', { version: '1.4' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: false });
    const other = Buffer.from('other bytes');
    const conflict = await post(url, form(other, 'RtPkg-1.4.0-py3-none-any.whl', { version: '1.4' }));
    expect(conflict.status).toBe(409);
    expect(readFileSync(join(store, 'rtpkg', 'RtPkg-1.4.0-py3-none-any.whl')).equals(bytes)).toBe(true);
    const sd = await post(url, form(other, 'rtpkg-1.4.tar.gz'));
    expect(sd.status).toBe(200);
    const doc = (await (await fetch(`${url}simple/rtpkg/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json()) as { files: { filename: string }[]; versions: string[] };
    expect(doc.files.map((f) => f.filename)).toEqual(['RtPkg-1.4.0-py3-none-any.whl', 'rtpkg-1.4.tar.gz']);
    expect(doc.versions).toEqual(['1.4']);
  });

  it('file names up to the limit are stored, one over it is a 400 — never a 500 from names the filesystem cannot hold', async () => {
    const sdist = (n: number) => `${'a'.repeat(n - '-1.0.tar.gz'.length)}-1.0.tar.gz`;
    const ok = sdist(MAX_FILENAME);
    const r = await post(url, form(bytes, ok, { name: ok.slice(0, -'-1.0.tar.gz'.length), version: '1.0' }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ stored: true });
    const long = sdist(MAX_FILENAME + 1);
    const bad = await post(url, form(bytes, long, { name: long.slice(0, -'-1.0.tar.gz'.length), version: '1.0' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/longer than/);
  });

  it('HEAD answers like GET without a body: 404 for unknown or undecodable names, same headers for pages and files', async () => {
    for (const p of ['simple/unknown/', 'simple/%ZZ/', 'simple/%E0%A4%A/', 'packages/rtpkg/%ZZ', 'packages/rtpkg/nope-1.0.tar.gz', 'simple/..%2F/']) {
      const head = await fetch(`${url}${p}`, { method: 'HEAD' });
      const get = await fetch(`${url}${p}`);
      expect([p, head.status]).toEqual([p, 404]);
      expect([p, get.status]).toEqual([p, 404]);
      expect(await head.text()).toBe('');
    }
    for (const p of ['simple/', 'simple/rtpkg/', 'packages/rtpkg/rtpkg-1.4.tar.gz']) {
      for (const accept of ['text/html', 'application/vnd.pypi.simple.v1+json']) {
        const head = await fetch(`${url}${p}`, { method: 'HEAD', headers: { accept } });
        const get = await fetch(`${url}${p}`, { headers: { accept } });
        const body = Buffer.from(await get.arrayBuffer());
        expect(head.status, p).toBe(200);
        expect(get.status, p).toBe(200);
        expect(head.headers.get('content-type'), p).toBe(get.headers.get('content-type'));
        expect(head.headers.get('content-length'), p).toBe(String(body.length));
        expect(get.headers.get('content-length'), p).toBe(String(body.length));
        expect(await head.text()).toBe('');
      }
    }
    const del = await fetch(`${url}simple/`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('401 and 413 are answered from the request head, before any of the body is sent', async () => {
    const boundary = 'b';
    const ct = `multipart/form-data; boundary=${boundary}`;
    const noAuth = await headOnly(url, { 'content-type': ct, 'content-length': 10 << 20 });
    expect(noAuth.status).toBe(401);
    expect(JSON.parse(noAuth.body)).toMatchObject({ error: 'unauthorized' });
    const wrong = await headOnly(url, { 'content-type': ct, 'content-length': 10 << 20, authorization: basic('u:wrong') });
    expect(wrong.status).toBe(401);
    const expectContinue = await headOnly(url, { 'content-type': ct, 'content-length': 10 << 20, authorization: basic('u:wrong'), expect: '100-continue' });
    expect(expectContinue.status).toBe(401);
    const huge = await headOnly(url, { 'content-type': ct, 'content-length': 600 << 20, authorization: basic('u:p') });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error).toMatch(/over the limit/);
    expect(readdirSync(join(store, '.staging'))).toEqual([]);
  });

  it('preflight: null for reads and acceptable uploads, a Refusal for bad credentials or a declared size over the limit', async () => {
    const idx = await createPythonIndex({ storage: tmp('pf-'), username: 'u', password: 'p', maxFileBytes: 1000 });
    const req = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as IncomingMessage;
    expect(idx.preflight(req('GET', {}), '/simple/')).toBeNull();
    expect(idx.preflight(req('POST', { authorization: basic('u:p'), 'content-length': '10' }), '/')).toBeNull();
    expect(idx.preflight(req('POST', { 'content-length': '10' }), '/')).toMatchObject({ status: 401 });
    expect(idx.preflight(req('POST', { authorization: basic('u:p:x') }), '/legacy/')).toMatchObject({ status: 401 });
    expect(idx.preflight(req('POST', { authorization: basic('u:p'), 'content-length': String(10 << 20) }), '/')).toMatchObject({ status: 413 });
  });
});

describe('Python index: refusals real clients can read', () => {
  let server: Server;
  let url: string;
  let idx: PythonIndex;
  let dir: string;
  const LIMIT = 1 << 20;
  beforeAll(async () => {
    dir = tmp('pyclients-');
    // A small file limit, so a 413 takes a 3 MiB upload instead of 500 MiB.
    idx = await createPythonIndex({ storage: join(dir, 'store'), username: 'u', password: 'p', maxFileBytes: LIMIT });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.startsWith('/pypi')) void idx.handle(req, res, path.slice('/pypi'.length) || '/');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pypi/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const curlUpload = (file: string, auth: string, extra: string[] = []) =>
    execa('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '-u', auth, ...extra, '-F', ':action=file_upload', '-F', 'protocol_version=1', '-F', 'name=rtpkg', '-F', 'version=1.4', '-F', 'filetype=bdist_wheel', '-F', 'pyversion=py3', '-F', 'metadata_version=2.1', '-F', `sha256_digest=${sha(readFileSync(file))}`, '-F', `content=@${file}`, url], { reject: false });

  /** `-w '\n%{http_code}'` puts the status on the last line, after the body. */
  const curlAnswer = (out: string) => ({ body: out.slice(0, out.lastIndexOf('\n')), code: out.slice(out.lastIndexOf('\n') + 1) });

  it('curl reads 401 (with and without Expect: 100-continue) and 413 while it still has body to send', async () => {
    const big = makeWheel(dir, 'rtpkg-1.4-py3-none-any.whl', '1.4', 3 * LIMIT);
    for (const extra of [[], ['-H', 'Expect:']]) {
      const r = await curlUpload(big, 'u:wrong', extra);
      expect(r.exitCode, r.stderr).toBe(0);
      const { body, code } = curlAnswer(r.stdout);
      expect(code).toBe('401');
      expect(JSON.parse(body)).toMatchObject({ error: 'unauthorized' });
    }
    const r = await curlUpload(big, 'u:p', ['-H', 'Expect:']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { body, code } = curlAnswer(r.stdout);
    expect(code).toBe('413');
    expect(JSON.parse(body).error).toMatch(/over the limit/);
    // Declared size within the allowance for form fields, or not declared at all (chunked):
    // the limit is enforced while the file streams in, and curl still reads the answer.
    const over = makeWheel(tmp('over-'), 'rtpkg-1.4-py3-none-any.whl', '1.4', LIMIT + (LIMIT >> 1));
    for (const extra of [['-H', 'Expect:'], ['-H', 'Transfer-Encoding: chunked']]) {
      const s = await curlUpload(over, 'u:p', extra);
      expect(s.exitCode, s.stderr).toBe(0);
      const a = curlAnswer(s.stdout);
      expect(a.code, extra.join(' ')).toBe('413');
      expect(JSON.parse(a.body).error).toMatch(/file is over the limit of 1048576 bytes/);
    }
    expect(projectFiles(join(dir, 'store'))).toEqual([]);
    expect(readdirSync(join(dir, 'store', '.staging'))).toEqual([]);
    expect((await fetch(`${url}simple/`)).status).toBe(200);
  });

  it('twine reads 401, 413 and the reason of a 400; then uploads a good wheel', async () => {
    const twine = (file: string, password: string) =>
      execa('twine', ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', url, file], { reject: false, all: true, env: { TWINE_USERNAME: 'u', TWINE_PASSWORD: password } });
    const wdir = tmp('wheels-');
    const big = makeWheel(wdir, 'rtpkg-1.4-py3-none-any.whl', '1.4', 3 * LIMIT);
    const unauth = await twine(big, 'wrong');
    expect(unauth.exitCode).toBe(1);
    expect(unauth.all).toMatch(/401/);
    const tooBig = await twine(big, 'p');
    expect(tooBig.exitCode).toBe(1);
    expect(tooBig.all).toMatch(/413/);
    const lying = makeWheel(tmp('wheels-'), 'rtpkg-1.5-py3-none-any.whl', '1.4');
    const mismatch = await twine(lying, 'p');
    expect(mismatch.exitCode).toBe(1);
    // twine prints the status line, wrapped to the terminal width.
    expect(mismatch.all.replace(/\s+/g, ' ')).toMatch(/400 Bad Request .*has version 1\.5, but the version field is 1\.4/);
    const good = makeWheel(tmp('wheels-'), 'rtpkg-1.4-py3-none-any.whl', '1.4');
    const ok = await twine(good, 'p');
    expect(ok.exitCode, ok.all).toBe(0);
    expect(projectFiles(join(dir, 'store'))).toEqual(['rtpkg/rtpkg-1.4-py3-none-any.whl', 'rtpkg/rtpkg-1.4-py3-none-any.whl.json']);
  });
});

describe('Python index: staging and half-written files after a crash', () => {
  it('start-up removes a dead process’s staging dir, orphan files and temp files; keeps live and foreign work', async () => {
    const root = tmp('pyrec-');
    const host = hostname();
    // A pid that certainly belonged to a process that is gone now.
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    for (const d of [`${host}-${deadPid}-abc123`, `${host}-${process.pid}-def456`, `other-host-${deadPid}-0a0a0a`]) {
      mkdirSync(join(root, '.staging', d), { recursive: true });
      writeFileSync(join(root, '.staging', d, 'content'), 'partial');
    }
    mkdirSync(join(root, 'rtpkg'));
    writeFileSync(join(root, 'rtpkg', 'rtpkg-1.4.tar.gz'), 'committed');
    writeFileSync(join(root, 'rtpkg', 'rtpkg-1.4.tar.gz.json'), JSON.stringify({ filename: 'rtpkg-1.4.tar.gz', sha256: sha(Buffer.from('committed')), version: '1.4', filetype: 'sdist', uploadedAt: new Date().toISOString(), size: 9 }));
    writeFileSync(join(root, 'rtpkg', 'rtpkg-1.5.tar.gz'), 'orphan: placed, crashed before its metadata');
    writeFileSync(join(root, 'rtpkg', `.rtpkg-1.5.tar.gz.json.tmp-${deadPid}-0011aabb`), '{"half');

    const idx = await createPythonIndex({ storage: root, username: 'u', password: 'p' });
    expect(idx.recovered).toEqual({ removedStaging: 1, removedOrphans: 2 });
    expect(readdirSync(join(root, '.staging')).sort()).toEqual([`${host}-${process.pid}-def456`, `other-host-${deadPid}-0a0a0a`].sort());
    expect(readdirSync(join(root, 'rtpkg')).sort()).toEqual(['rtpkg-1.4.tar.gz', 'rtpkg-1.4.tar.gz.json']);
  });

  const points = ['python:received', 'python:file-placed', 'python:committed'];
  it.each(points)('kill -9 at %s: after restart the file is absent or complete, no staging left, a retry succeeds', async (point) => {
    const store = tmp('pycrash-');
    const auth = join(tmp(), 'auth');
    writeFileSync(auth, 'u:p');
    const args = ['--storage', tmp(), '--python-storage', store, '--python-auth-file', auth, '--quiet'];
    const content = Buffer.from(randomBytes(4096));
    const name = 'rtpkg-1.4-py3-none-any.whl';
    const crashing = await startRegistryProcess(args, { AMEIDE_PKG_FAILPOINT: point });
    await post(`${crashing.url}/pypi/`, form(content, name)).catch(() => null);
    await crashing.stop();
    expect(crashing.proc.signalCode).toBe('SIGKILL');
    // The crash left its staging dir behind: start-up recovery is what removes it.
    expect(readdirSync(join(store, '.staging')).length).toBeGreaterThan(0);

    const restarted = await startRegistryProcess(args);
    try {
      expect(readdirSync(join(store, '.staging'))).toEqual([]);
      const committed = point === 'python:committed';
      expect(projectFiles(store)).toEqual(committed ? [`rtpkg/${name}`, `rtpkg/${name}.json`] : []);
      const page = await fetch(`${restarted.url}/pypi/simple/rtpkg/`);
      expect(page.status).toBe(committed ? 200 : 404);
      const retry = await post(`${restarted.url}/pypi/`, form(content, name));
      expect(retry.status).toBe(200);
      expect(retry.body).toMatchObject({ stored: !committed });
      const file = await fetch(`${restarted.url}/pypi/packages/rtpkg/${name}`);
      expect(Buffer.from(await file.arrayBuffer()).equals(content)).toBe(true);
    } finally {
      await restarted.stop();
    }
  });

  it('a client that goes away mid-body leaves no staging behind, and the server keeps answering', async () => {
    const store = tmp('pyabort-');
    const reg = await startRegistry({ storage: tmp('goreg-'), python: { prefix: '/pypi', storage: store, username: 'u', password: 'p' } });
    try {
      const u = new URL(reg.url);
      const boundary = 'xyz';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="rtpkg-1.4.tar.gz"\r\n\r\n`;
      await new Promise<void>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, path: '/pypi/', method: 'POST', headers: { authorization: basic('u:p'), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 1 << 20 } });
        req.on('error', () => resolve());
        req.write(head + 'x'.repeat(5000), () => setTimeout(() => req.destroy(), 100));
        req.on('close', () => resolve());
      });
      // The server notices the reset asynchronously: wait (bounded) for its staging to go.
      for (let i = 0; i < 100 && readdirSync(join(store, '.staging')).length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(join(store, '.staging'))).toEqual([]);
      expect((await fetch(`${reg.url}/pypi/simple/`)).status).toBe(200);
    } finally {
      await reg.close();
    }
  });
});

describe('registry serve: Python uploads need credentials unless anonymous is asked for', () => {
  const serve = (args: string[]) => execa(process.execPath, [CLI, 'registry', 'serve', '--storage', tmp(), ...args], { reject: false, timeout: 20_000 });

  it('--python or --python-storage without --python-auth-file: exit 2 naming both flags', async () => {
    for (const args of [['--python'], ['--python-storage', tmp()]]) {
      const r = await serve(args);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/--python-auth-file/);
      expect(r.stderr).toMatch(/--python-allow-anonymous/);
    }
    const auth = join(tmp(), 'auth');
    writeFileSync(auth, 'u:p');
    const both = await serve(['--python', '--python-auth-file', auth, '--python-allow-anonymous']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/either/);
  });

  it('anonymous Python uploads on a non-loopback address: one loud warning line', async () => {
    const token = join(tmp(), 'token');
    writeFileSync(token, 't0ken', { mode: 0o600 });
    const reg = await startRegistryProcess(['--storage', tmp(), '--host', '0.0.0.0', '--token-file', token, '--python', '--python-allow-anonymous', '--quiet']);
    await reg.stop();
    const lines = reg.stderr().split('\n').filter((l) => l && !l.startsWith('SIGTERM'));
    expect(lines).toEqual([expect.stringMatching(/^warning: UNAUTHENTICATED: Python uploads are anonymous on 0\.0\.0\.0 .*pass --python-auth-file <file> or --host 127\.0\.0\.1$/)]);
  });

  it('--python --python-allow-anonymous starts and accepts an upload without credentials', async () => {
    const store = tmp('anon-');
    const reg = await startRegistryProcess(['--storage', tmp(), '--python', '--python-storage', store, '--python-allow-anonymous', '--quiet']);
    try {
      const content = Buffer.from('anonymous');
      const res = await fetch(`${reg.url}/pypi/`, { method: 'POST', body: form(content, 'rtpkg-1.4.tar.gz') });
      expect(res.status).toBe(200);
      expect(projectFiles(store)).toEqual(['rtpkg/rtpkg-1.4.tar.gz', 'rtpkg/rtpkg-1.4.tar.gz.json']);
    } finally {
      await reg.stop();
    }
  });
});
