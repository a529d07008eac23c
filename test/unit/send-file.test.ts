import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEND_CHUNK_BYTES, sendFile } from '../../src/registry/http.js';

// Real sockets and a real file: what matters is how the two buffers meet backpressure,
// a client that goes away, and a file that is shorter than promised.
const dir = mkdtempSync(join(tmpdir(), 'send-file-'));
const path = join(dir, 'blob');
// Several buffers' worth plus a partial last one.
const data = randomBytes(3 * SEND_CHUNK_BYTES + 12_345);

let server: Server;
let url: string;
/** Per request: what the handler was told to claim, and how its sendFile ended. */
const served: { fh: FileHandle; done: Promise<void> }[] = [];

beforeAll(async () => {
  writeFileSync(path, data);
  server = createServer(async (req, res) => {
    const claim = Number(new URL(req.url!, 'http://x').searchParams.get('claim') ?? data.length);
    const fh = await open(path, 'r');
    res.writeHead(200, { 'content-length': claim });
    const done = sendFile(res, fh, claim);
    served.push({ fh, done });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function download(target: string, onResponse?: (res: IncomingMessage) => void): Promise<{ body: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    get(target, (res) => {
      onResponse?.(res);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), complete: res.complete }));
      res.on('error', () => resolve({ body: Buffer.concat(chunks), complete: false }));
      res.on('aborted', () => resolve({ body: Buffer.concat(chunks), complete: false }));
    }).on('error', reject);
  });
}

describe('sendFile', () => {
  it('sends the file byte for byte through its reused buffers and closes it', async () => {
    const { body, complete } = await download(url);
    expect(complete).toBe(true);
    expect(body.equals(data)).toBe(true);
    const s = served.at(-1)!;
    await s.done;
    expect(s.fh.fd, 'closed').toBe(-1);
  });

  it('a file shorter than promised cuts the response: the client never sees a short body as whole', async () => {
    const { body, complete } = await download(`${url}/?claim=${data.length + 1000}`);
    expect(complete).toBe(false);
    expect(body.length).toBeLessThanOrEqual(data.length);
    const s = served.at(-1)!;
    await s.done;
    expect(s.fh.fd).toBe(-1);
  });

  it('a client that goes away mid-download ends the send: it resolves and the file is closed', async () => {
    const n = served.length;
    await new Promise<void>((resolve, reject) => {
      get(url, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      }).on('error', reject);
    });
    await expect.poll(() => served.length).toBe(n + 1);
    const s = served[n]!;
    await s.done;
    expect(s.fh.fd).toBe(-1);
  });

  it('a slow reader gets every byte (the second buffer waits for the socket to take the first)', async () => {
    const { body, complete } = await download(url, (res) => {
      // Stall reading so the server's socket buffer fills and its writes wait.
      res.pause();
      setTimeout(() => res.resume(), 200);
    });
    expect(complete).toBe(true);
    expect(body.equals(data)).toBe(true);
  });
});
