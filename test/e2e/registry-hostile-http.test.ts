import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadModule } from '../../src/languages/go/upload.js';
import { uploadDist } from '../../src/languages/python/upload.js';
import { runCli } from '../helpers/cli.js';
import { postUpload, startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { makeRepo, scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

/**
 * `registry serve` faces clients that lie, stall, abort and send garbage. Every test runs the
 * BUILT server as a child process: a crash shows up as a dead process, not a failed assertion
 * inside the test runner.
 */
const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';
const { tmp, track } = scratchDirs();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Step = string | Buffer | { wait: number } | 'end' | 'reset';
interface Outcome {
  status?: number;
  raw: string;
  closed: boolean;
}

/**
 * Play `steps` on a raw TCP connection; resolve once the server closed the connection, or it
 * answered and then went quiet (unless `untilClose`), or `boundMs` passed (closed: false).
 */
function exchange(url: string, steps: Step[], boundMs = 6000, untilClose = false): Promise<Outcome> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock: Socket = connect(Number(u.port), u.hostname);
    let raw = '';
    let settled = false;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(bound);
      clearTimeout(quiet);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      sock.destroy();
      resolve({ status: m ? Number(m[1]) : undefined, raw, closed });
    };
    const bound = setTimeout(() => finish(false), boundMs);
    sock.on('data', (c) => {
      raw += c.toString('latin1');
      clearTimeout(quiet);
      if (!untilClose) quiet = setTimeout(() => finish(false), 400);
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('connect', async () => {
      for (const s of steps) {
        if (settled || sock.destroyed) return;
        if (s === 'end') sock.end();
        else if (s === 'reset') return void sock.resetAndDestroy();
        else if (typeof s === 'object' && !Buffer.isBuffer(s)) await sleep(s.wait);
        else sock.write(s);
      }
    });
  });
}

const BOUNDARY = 'hostile-boundary';
function multipartHead(f: GoModuleFixture, boundary = BOUNDARY): Buffer {
  return Buffer.from(
    [
      ['module', f.module],
      ['version', f.version],
      ['info', f.info],
      ['mod', f.mod],
    ]
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="zip"; filename="m.zip"\r\nContent-Type: application/zip\r\n\r\n`,
  );
}
const multipartTail = (boundary = BOUNDARY) => Buffer.from(`\r\n--${boundary}--\r\n`);
const uploadHeaders = (length: number | 'chunked', extra = '') =>
  `POST /upload HTTP/1.1\r\nHost: registry\r\nContent-Type: multipart/form-data; boundary=${BOUNDARY}\r\n` +
  (length === 'chunked' ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${length}\r\n`) +
  extra +
  '\r\n';

const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
const stagingOf = (root: string) => (existsSync(join(root, '.staging')) ? readdirSync(join(root, '.staging')) : []);
async function eventually(check: () => boolean, boundMs = 8000): Promise<boolean> {
  for (const end = Date.now() + boundMs; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}
const alive = (r: RegistryProcess) => r.proc.exitCode === null && r.proc.signalCode === null;

describe('registry serve: hostile requests never kill or hang it', () => {
  let reg: RegistryProcess;
  let root: string;
  let fx: GoModuleFixture;
  beforeAll(async () => {
    root = tmp('hostile-');
    const auth = join(tmp(), 'pyauth');
    writeFileSync(auth, 'uploader:py-secret');
    reg = await startRegistryProcess(['--storage', root, '--read-api', '--python', '--python-auth-file', auth, '--headers-timeout', '1s', '--idle-timeout', '1s', '--request-timeout', '30s', '--max-zip-bytes', String(64 << 10)]);
    fx = goModuleFixture(MOD, 'v0.0.1');
  });
  afterAll(() => reg.stop());

  const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: registry\r\n${extra}\r\n`;
  // [name, steps, expected status (undefined: any answer or a clean close)]
  const catalogue = (): [string, Step[], number?][] => {
    const head = multipartHead(fx);
    return [
      ['absolute target new URL rejects: http://[', [get('http://[')], 400],
      ['absolute target with port 99999', [get('http://a:99999/')], 400],
      ['absolute target with port -1', [get('http://a:-1/healthz')], 400],
      ['absolute target with bad percent host', [get('http://%zz/')], 400],
      ['absolute target with empty host and userinfo', [get('http://user@:80/')], 400],
      ['protocol-relative target with broken IPv6', [get('//[::1')], 400],
      ['valid absolute target', [get('http://example.com/healthz')], 200],
      ['asterisk target', [get('*')]],
      ['NUL in target', [get('/healthz\0x')], 400],
      ['NUL in header value', [get('/healthz', 'X-A: a\0b\r\n')], 400],
      ['CTL in header name', [get('/healthz', 'X\x01A: b\r\n')], 400],
      ['header line without colon', [get('/healthz', 'NoColonHere\r\n')], 400],
      ['obs-fold header', [get('/healthz', 'X-A: a\r\n  folded\r\n')]],
      ['huge header (64 KiB)', [get('/healthz', `X-Big: ${'a'.repeat(64 << 10)}\r\n`)], 431],
      ['huge URL (64 KiB)', [get('/' + 'a'.repeat(64 << 10))], 431],
      ['unknown method', ['FROB /healthz HTTP/1.1\r\nHost: r\r\n\r\n'], 400],
      ['lower-case method', ['get /healthz HTTP/1.1\r\nHost: r\r\n\r\n'], 400],
      ['PUT on /upload', ['PUT /upload HTTP/1.1\r\nHost: r\r\nContent-Length: 0\r\n\r\n'], 405],
      ['HTTP/0.9 request', ['GET /healthz\r\n\r\n']],
      ['HTTP/2 preface on HTTP/1', ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']],
      ['HTTP/9.9', ['GET /healthz HTTP/9.9\r\nHost: r\r\n\r\n']],
      ['HTTP/1.1 without Host', ['GET /healthz HTTP/1.1\r\n\r\n'], 400],
      ['binary garbage', [randomBytes(4096)]],
      ['only blank lines', ['\r\n\r\n\r\n\r\n', 'end']],
      ['connect and close', ['end']],
      ['invalid chunk size', [uploadHeaders('chunked'), 'zz\r\nhello\r\n']],
      ['chunk size overflow', [uploadHeaders('chunked'), 'FFFFFFFFFFFFFFFFFFFFFF\r\n']],
      ['Content-Length and Transfer-Encoding together', [uploadHeaders('chunked', 'Content-Length: 5\r\n'), '5\r\nhello\r\n0\r\n\r\n']],
      ['two different Content-Lengths', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'], 400],
      ['negative Content-Length', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Length: -1\r\n\r\n'], 400],
      ['non-numeric Content-Length', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Length: abc\r\n\r\n'], 400],
      ['Content-Length larger than the body, then silence', [uploadHeaders(100_000), head]],
      ['Content-Length larger than the body, then half-close', [uploadHeaders(100_000), head, 'end']],
      ['Content-Length smaller than the body (rest is garbage)', [uploadHeaders(10), head]],
      ['multipart with a boundary that never appears', [uploadHeaders(200), '--other\r\n'.padEnd(200, 'x')], 400],
      ['multipart without boundary parameter', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Type: multipart/form-data\r\nContent-Length: 4\r\n\r\nabcd'], 400],
      ['multipart cut before its closing boundary', [uploadHeaders(head.length + 3), head, 'abc'], 400],
      ['multipart part with a 100 KiB header', [uploadHeaders(110_000), `--${BOUNDARY}\r\nX: ${'y'.repeat(100_000)}\r\n\r\n`.padEnd(110_000, 'z')]],
      ['zip part over --max-zip-bytes, chunked (no Content-Length to refuse early)', [uploadHeaders('chunked'), chunk(Buffer.concat([head, randomBytes(200 << 10), multipartTail()])), '0\r\n\r\n'], 413],
      ['mod part over its 16 MiB limit, chunked', [uploadHeaders('chunked'), chunk(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="mod"; filename="go.mod"\r\n\r\n`)), chunk(Buffer.alloc((16 << 20) + 10, 'x'))], 413],
      ['not multipart at all', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello'], 400],
      ['unknown Expect', ['POST /upload HTTP/1.1\r\nHost: r\r\nExpect: 200-ok\r\nContent-Length: 5\r\n\r\n'], 417],
      ['read API: bad percent-encoding', [get('/%ff%fe/@v/list')], 404],
      ['read API: lone percent', [get('/%/@v/list')], 404],
      ['read API: traversal', [get('/../../etc/passwd/@v/list')], 404],
      ['python index: garbage upload without credentials', ['POST /pypi/ HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\n\r\nhello'], 401],
      ['python index: bad percent-encoding', [get('/pypi/simple/%zz/')]],
      ['pipelined: valid request then garbage', [get('/healthz') + 'GARBAGE\0\r\n\r\n']],
      ['pipelined: 50 requests in one write', [get('/healthz').repeat(50)]],
      ['reset mid-headers', ['POST /upload HTTP/1.1\r\nHost: r\r\nContent-Le', 'reset']],
    ];
  };

  it('answers or closes every malformed request within a bound, then still serves health and uploads', async () => {
    const cases = catalogue();
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const [name, steps, expected] of cases) {
      const out = await exchange(reg.url, steps);
      expect(out.status !== undefined || out.closed, `${name}: neither answered nor closed`).toBe(true);
      if (expected !== undefined) expect(out.status, `${name}: closed=${out.closed} ${out.raw.slice(0, 200)} ${reg.stderr().slice(-800)}`).toBe(expected);
      expect(out.raw, `${name}: leaks the storage path`).not.toContain(root);
      expect(alive(reg), `process died after: ${name}\n${reg.stderr()}`).toBe(true);
    }
    const piped = await exchange(reg.url, [get('/healthz').repeat(50)]);
    expect(piped.raw.match(/HTTP\/1\.1 200/g)?.length).toBe(50);

    expect((await fetch(`${reg.url}/healthz`)).status).toBe(200);
    expect((await postUpload(reg.url, { module: fx.module, version: fx.version, info: fx.info, mod: fx.mod, zip: fx.zip })).status).toBe(201);
    expect(await eventually(() => stagingOf(root).length === 0), `staging left: ${stagingOf(root)}`).toBe(true);
    expect(alive(reg)).toBe(true);
  });

  it('/readyz and error bodies do not reveal the storage path', async () => {
    const ready = await (await fetch(`${reg.url}/readyz`)).text();
    expect(JSON.parse(ready)).toMatchObject({ status: 'ready' });
    expect(ready).not.toContain(root);
  });

  it('cuts off a client that sends headers and stalls, and a slow-loris header sender', async () => {
    const stalled = await exchange(reg.url, [uploadHeaders(1000)], 10_000, true);
    expect(stalled.closed, 'stalled body was not cut off').toBe(true);
    // One header byte every 150 ms: always "active", so only the headers timeout stops it.
    const loris: Step[] = ['GET /healthz HTTP/1.1\r\nHost: r\r\n'];
    for (let i = 0; i < 60; i++) loris.push({ wait: 150 }, 'X');
    const slow = await exchange(reg.url, loris, 8000, true);
    expect(slow.closed, 'slow-loris was not cut off').toBe(true);
    expect(slow.status === undefined || slow.status === 408).toBe(true);
    expect(alive(reg)).toBe(true);
  });

  it('20 aborted uploads of different kinds leave the staging area empty and the server healthy', async () => {
    const head = multipartHead(fx);
    const full = Buffer.concat([head, fx.zip, multipartTail()]);
    const kinds: Step[][] = [
      [uploadHeaders(full.length), 'end'],
      [uploadHeaders(full.length), head.subarray(0, 40), { wait: 50 }, 'end'],
      [uploadHeaders(full.length), head, fx.zip.subarray(0, 50), { wait: 50 }, 'end'],
      [uploadHeaders(full.length), head, fx.zip.subarray(0, 50), { wait: 50 }, 'reset'],
      [uploadHeaders(full.length), head, { wait: 50 }], // short body, then silence until the idle timeout
      [uploadHeaders('chunked'), `${head.length.toString(16)}\r\n`, head, '\r\n', { wait: 50 }, 'end'],
      [uploadHeaders('chunked'), `${head.length.toString(16)}\r\n`, head, '\r\n'], // chunked, then silence
      [uploadHeaders(full.length, 'Expect: 100-continue\r\n'), { wait: 100 }, head, { wait: 50 }, 'reset'],
      [uploadHeaders(full.length), head, fx.zip.subarray(0, 80), '\r\n--bogus-end', { wait: 50 }, 'end'],
      [uploadHeaders(full.length), full.subarray(0, full.length - 5), { wait: 50 }, 'end'],
    ];
    const runs = Array.from({ length: 20 }, (_, i) => exchange(reg.url, kinds[i % kinds.length]!, 10_000));
    const outcomes = await Promise.all(runs);
    for (const o of outcomes) expect(o.closed || o.status !== undefined).toBe(true);
    expect(await eventually(() => stagingOf(root).length === 0), `staging left: ${stagingOf(root)}`).toBe(true);
    expect(alive(reg)).toBe(true);
    expect((await fetch(`${reg.url}/healthz`)).status).toBe(200);
    const next = goModuleFixture(MOD, 'v0.0.2');
    expect((await postUpload(reg.url, { module: next.module, version: next.version, info: next.info, mod: next.mod, zip: next.zip })).status).toBe(201);
    expect(stagingOf(root)).toEqual([]);
  });
});

describe('registry serve: slow bodies and shutdown', () => {
  it('a body that trickles in forever is cut by --request-timeout', async () => {
    const root = tmp('trickle-');
    const reg = await startRegistryProcess(['--storage', root, '--quiet', '--headers-timeout', '1s', '--request-timeout', '2s', '--idle-timeout', '60s']);
    try {
      const fx = goModuleFixture(MOD, 'v0.0.3');
      const steps: Step[] = [uploadHeaders(100_000), multipartHead(fx)];
      for (let i = 0; i < 100; i++) steps.push({ wait: 100 }, 'x');
      const out = await exchange(reg.url, steps, 9000, true);
      expect(out.closed, 'trickling upload was not cut off').toBe(true);
      expect(await eventually(() => stagingOf(root).length === 0)).toBe(true);
      expect(alive(reg)).toBe(true);
    } finally {
      await reg.stop();
    }
  });

  it('SIGTERM with a stalled upload in flight exits 0 within --shutdown-timeout and leaves no staging', async () => {
    const root = tmp('term-');
    const reg = await startRegistryProcess(['--storage', root, '--idle-timeout', '10m', '--shutdown-timeout', '1s']);
    const fx = goModuleFixture(MOD, 'v0.0.4');
    const head = multipartHead(fx);
    const stalled = exchange(reg.url, [uploadHeaders(head.length + fx.zip.length + 100), head, fx.zip.subarray(0, 30)], 20_000);
    expect(await eventually(() => stagingOf(root).length === 1)).toBe(true);
    reg.proc.kill('SIGTERM');
    const code = await Promise.race([reg.exited(), sleep(10_000).then(() => 'still running' as const)]);
    if (code === 'still running') reg.proc.kill('SIGKILL');
    expect(code).toBe(0);
    expect(reg.stderr()).toMatch(/SIGTERM/);
    expect((await stalled).closed).toBe(true);
    expect(stagingOf(root)).toEqual([]);
  });
});

describe('401 and 413 are answered before the body and read by real clients', () => {
  let reg: RegistryProcess;
  let bigFile: string;
  const TOKEN = 'right-token';
  beforeAll(async () => {
    const dir = tmp('refuse-');
    writeFileSync(join(dir, 'token'), TOKEN + '\n');
    bigFile = join(dir, 'big.bin');
    writeFileSync(bigFile, randomBytes(24 << 20));
    reg = await startRegistryProcess(['--storage', join(dir, 'store'), '--read-api', '--quiet', '--token-file', join(dir, 'token'), '--max-zip-bytes', String(1 << 20)]);
  });
  afterAll(() => reg.stop());

  const curl = async (headers: string[]) => {
    const r = await execa(
      'curl',
      ['-sS', '-o', '-', '-w', '\n%{http_code} %{size_upload}', '-X', 'POST', '--data-binary', `@${bigFile}`, '-H', `Content-Type: multipart/form-data; boundary=${BOUNDARY}`, ...headers.flatMap((h) => ['-H', h]), `${reg.url}/upload`],
      { reject: false },
    );
    const lines = r.stdout.trim().split('\n');
    const [code, uploaded] = lines.pop()!.split(' ').map(Number);
    return { exitCode: r.exitCode, stderr: r.stderr, status: code, uploaded: uploaded!, body: JSON.parse(lines.join('\n') || 'null') };
  };

  it.each([
    ['wrong token, large body', 401, ['Authorization: Bearer wrong', 'Expect:'], /unauthorized/],
    ['wrong token, Expect: 100-continue', 401, ['Authorization: Bearer wrong', 'Expect: 100-continue'], /unauthorized/],
    ['over the size limit, large body', 413, [`Authorization: Bearer ${TOKEN}`, 'Expect:'], /over the limit/],
    ['over the size limit, Expect: 100-continue', 413, [`Authorization: Bearer ${TOKEN}`, 'Expect: 100-continue'], /over the limit/],
  ] as const)('curl: %s → %i with a JSON body', async (_name, status, headers, error) => {
    const r = await curl([...headers]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatch(error);
    // With Expect: 100-continue the refusal comes instead of "100 Continue": no body is sent.
    if ((headers as readonly string[]).includes('Expect: 100-continue')) expect(r.uploaded).toBe(0);
    expect(alive(reg)).toBe(true);
  });

  it('the Go upload client reports a wrong token and an oversized zip clearly, without retrying', async () => {
    const fx = goModuleFixture(MOD, 'v0.0.5');
    const info = Buffer.from(fx.info);
    const mod = Buffer.from(fx.mod);
    let retries = 0;
    const retry = { baseDelayMs: 10, onRetry: () => void retries++ };
    await expect(uploadModule(reg.url, { module: MOD, version: fx.version, info, mod, zipPath: bigFile }, { token: 'wrong', retry })).rejects.toThrow(/GO_REGISTRY_TOKEN rejected \(401\)/);
    await expect(uploadModule(reg.url, { module: MOD, version: fx.version, info, mod, zipPath: bigFile }, { token: TOKEN, retry })).rejects.toThrow(/too large.*413/);
    expect(retries).toBe(0);
  });

  it('publish --lang go with a wrong GO_REGISTRY_TOKEN: exit 1, "GO_REGISTRY_TOKEN rejected (401)", no retries', async () => {
    const repo = track(makeRepo());
    const r = await runCli(['publish', '--lang', 'go', '-C', repo], {
      env: { GO_REGISTRY_URL: reg.url, GOPROXY: reg.url, GOSUMDB: 'off', GO_MODULE_PATH: MOD, GO_REGISTRY_TOKEN: 'wrong', HOME: tmp('home-'), AMEIDE_PKG_RETRY_BASE_MS: '10' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/GO_REGISTRY_TOKEN rejected \(401\)/);
    expect(r.stderr).not.toMatch(/retrying|ECONNRESET|unreachable/);
    expect(r.stderr).not.toContain('wrong');
  });
});

describe('the Python upload client', () => {
  it('reports rejected credentials as "TWINE_USERNAME/TWINE_PASSWORD rejected (401)"', async () => {
    const dir = tmp('pyrefuse-');
    writeFileSync(join(dir, 'auth'), 'uploader:right');
    const reg = await startRegistryProcess(['--storage', join(dir, 'store'), '--quiet', '--python', '--python-auth-file', join(dir, 'auth')]);
    try {
      const wheel = join(dir, 'rtpkg-0.1.0-py3-none-any.whl');
      writeFileSync(wheel, randomBytes(64 << 10));
      let retries = 0;
      const upload = uploadDist(
        { url: `${reg.url}/pypi/`, username: 'uploader', password: 'wrong', name: 'rtpkg', version: '0.1.0', metadata: {}, retry: { baseDelayMs: 10, onRetry: () => void retries++ } },
        { path: wheel, filename: 'rtpkg-0.1.0-py3-none-any.whl', filetype: 'bdist_wheel', pyversion: 'py3' },
      );
      await expect(upload).rejects.toThrow(/TWINE_USERNAME\/TWINE_PASSWORD rejected \(401\)/);
      expect(retries).toBe(0);
    } finally {
      await reg.stop();
    }
  });
});
