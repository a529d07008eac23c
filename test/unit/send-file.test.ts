import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEND_CHUNK_BYTES, sendFile } from '../../src/registry/http.js';
import { pipelinedThenReset } from '../helpers/registry.js';

// Real sockets and a real file: what matters is how the two buffers meet backpressure,
// a client that goes away (also with requests pipelined behind each other), a file that
// is shorter than promised or cannot be read.
const dir = mkdtempSync(join(tmpdir(), 'send-file-'));
const path = join(dir, 'blob');
// Larger than loopback socket buffers take at once, so writes really wait for the reader;
// not a multiple of the buffer size, so the last read is partial.
const data = randomBytes(24 * SEND_CHUNK_BYTES + 12_345);
const notAFile = join(dir, 'a-directory');

let server: Server;
let url: string;
let port: number;
/** Per request, in arrival order: the file handle (counting bytes read) and how sendFile ended. */
const served: { fh: FileHandle; bytesRead: () => number; done: Promise<void> }[] = [];

/** A real FileHandle whose reads are counted. */
function counting(fh: FileHandle): { fh: FileHandle; bytesRead: () => number } {
  let n = 0;
  const read = fh.read.bind(fh) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
  const counted = new Proxy(fh, {
    get(target, prop) {
      if (prop === 'read') return async (...a: unknown[]) => {
        const r = await read(...a);
        n += r.bytesRead;
        return r;
      };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { fh: counted, bytesRead: () => n };
}

beforeAll(async () => {
  writeFileSync(path, data);
  mkdirSync(notAFile);
  server = createServer(async (req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams;
    const claim = Number(q.get('claim') ?? data.length);
    const { fh, bytesRead } = counting(await open(q.has('dir') ? notAFile : path, 'r'));
    res.writeHead(200, { 'content-length': claim });
    served.push({ fh, bytesRead, done: sendFile(res, fh, claim) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** A GET; `complete` is false when the body was cut or the connection failed before a response. */
function download(target: string, onResponse?: (res: IncomingMessage) => void): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve) => {
    get(target, (res) => {
      onResponse?.(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
      res.on('aborted', () => resolve({ body: Buffer.concat(chunks), complete: false }));
    }).on('error', () => resolve({ body: Buffer.alloc(0), complete: false }));
  });
}

/** The sendFile calls from request `from` on have all ended, each with its file closed. */
async function allEnded(from: number, count: number): Promise<typeof served> {
  await expect.poll(() => served.length - from, { timeout: 5000 }).toBe(count);
  const mine = served.slice(from, from + count);
  const settled = await Promise.race([Promise.all(mine.map((s) => s.done)).then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  expect(settled, 'every sendFile resolved').toBe(true);
  for (const s of mine) expect(s.fh.fd, 'closed').toBe(-1);
  return mine;
}

describe('sendFile', () => {
  it('sends the file byte for byte through its reused buffers and closes it', async () => {
    const from = served.length;
    const { body, complete } = await download(url);
    expect(complete).toBe(true);
    expect(body.equals(data)).toBe(true);
    await allEnded(from, 1);
  });

  it('a slow reader gets every byte: a buffer is read into again only after the socket took it', async () => {
    const from = served.length;
    const { body, complete } = await download(url, (res) => {
      // Stall reading so the server's socket buffer fills and its writes wait.
      res.pause();
      setTimeout(() => res.resume(), 300);
    });
    expect(complete).toBe(true);
    expect(body.equals(data), 'no buffer was overwritten while the socket still held it').toBe(true);
    await allEnded(from, 1);
  });

  it('an empty file is a complete empty body', async () => {
    const from = served.length;
    const { body, complete } = await download(`${url}/?claim=0`);
    expect(complete).toBe(true);
    expect(body.length).toBe(0);
    await allEnded(from, 1);
  });

  it('a file shorter than promised, or one that cannot be read, cuts the response: never a short body that looks whole', async () => {
    for (const target of [`${url}/?claim=${data.length + 1000}`, `${url}/?dir=1&claim=10`]) {
      const from = served.length;
      const { body, complete } = await download(target);
      expect(complete, target).toBe(false);
      expect(body.length).toBeLessThanOrEqual(data.length);
      await allEnded(from, 1);
    }
  });

  it('a client that goes away mid-download ends the send early: it resolves, reads little more, and the file is closed', async () => {
    const from = served.length;
    await new Promise<void>((resolve, reject) => {
      get(url, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      }).on('error', reject);
    });
    const [s] = await allEnded(from, 1);
    expect(s!.bytesRead()).toBeLessThan(data.length / 2);
  });

  it('pipelined requests on a connection that dies: the response queued behind the first one ends too', async () => {
    // HTTP/1.1 pipelining: the second response waits for the socket behind the first. When the
    // connection dies it never gets the socket, emits no 'close' and its writes never call back.
    const from = served.length;
    await pipelinedThenReset(port, '/');
    await allEnded(from, 2);
  });
});
