import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { HttpFailure } from './errors.js';

/**
 * The HTTP plumbing every registry handler shares. One rule for error bodies: every refusal is
 * the JSON `{ "error", "detail"? }` (sendError, refuse, sendFailure), except "not found" on the
 * read routes, which is text/plain (sendNotFound) because go falls through to its next proxy
 * only on a 404/410 with a text body; pip reads nothing but the status there.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendError(res: ServerResponse, status: number, error: string, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, detail ? { error, detail } : { error });
}

/** go treats only 404/410 with a text body as "not here, try the next proxy". */
export function sendNotFound(res: ServerResponse, message: string, status: 404 | 410 = 404): void {
  const data = message + '\n';
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

/** Constant-time comparison of secrets of any length (hash first, then timingSafeEqual). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export function bearerToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m ? m[1]!.trim() : null;
}

/** Why a request is refused before its body is read (bad token, declared size over a limit). */
export interface Refusal {
  status: number;
  error: string;
  detail?: string;
  /** Extra response headers, e.g. `www-authenticate` on a 401. */
  headers?: Record<string, string>;
}

/** How long a refused request's body is still read (and discarded) after the answer. */
export interface Linger {
  bytes: number;
  ms: number;
}
export const DEFAULT_LINGER: Linger = { bytes: 64 << 20, ms: 5_000 };

/**
 * Answer a request whose body has not been (fully) read, so that the client reads the answer
 * instead of a connection reset:
 *  - the complete JSON error (with Content-Length and `Connection: close`) is written at once;
 *  - the response is NOT ended yet: ending it makes node close the socket, and a socket
 *    closed with unread request bytes is answered by the kernel with a RST, which can destroy
 *    the answer in the client's receive buffer before the client reads it;
 *  - instead the rest of the body is read and discarded ("lingering close") until it ends,
 *    the client goes away, or `linger` (bytes or time) is used up; then the response ends and
 *    the connection closes.
 * A client that sent `Expect: 100-continue` got no "100 Continue", so it sends no body and
 * simply reads the answer and closes. Never throws; resolves when the exchange is over.
 */
export async function refuse(req: IncomingMessage, res: ServerResponse, r: Refusal, linger: Linger = DEFAULT_LINGER): Promise<void> {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const data = JSON.stringify(r.detail ? { error: r.error, detail: r.detail } : { error: r.error }) + '\n';
  res.shouldKeepAlive = false;
  res.writeHead(r.status, { ...r.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), connection: 'close' });
  if (req.complete) return void res.end(data);
  res.write(data);
  await drain(req, linger.bytes, linger.ms);
  res.end();
}

/**
 * Answer a request its handler refused with an HttpFailure: after the whole body, a plain JSON
 * error; mid-body (a part over a limit, a broken multipart body), `refuse` with its lingering close.
 */
export async function sendFailure(req: IncomingMessage, res: ServerResponse, f: HttpFailure): Promise<void> {
  if (!req.complete) return refuse(req, res, { status: f.status, error: f.message, detail: f.detail });
  sendError(res, f.status, f.message, f.detail);
}

/**
 * Read and discard a request body until it ends, the connection closes, `maxBytes` have
 * been read or `maxMs` have passed — then give up on the connection (destroy it) unless the
 * body ended. Never rejects.
 */
export function drain(req: IncomingMessage, maxBytes: number, maxMs = DEFAULT_LINGER.ms): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) return resolve();
    let n = 0;
    let settled = false;
    const done = (giveUp: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (giveUp) req.socket?.destroy();
      resolve();
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) done(true);
    };
    const timer = setTimeout(() => done(true), maxMs);
    req.on('data', onData);
    req.once('end', () => done(false));
    req.once('error', () => done(true));
    req.once('close', () => done(!req.complete));
    req.resume();
  });
}

const connectionWatchers = new WeakMap<Socket, Set<() => void>>();

/**
 * Call `fn` once when the connection that carries `res` closes; returns the function that stops
 * watching. A response whose socket is gone emits 'close' — except one queued behind another
 * response on the same connection (HTTP/1.1 pipelining): it never gets the socket, so when the
 * connection dies it emits nothing, `res.destroyed` stays false and its write callbacks never
 * run. Whatever waits on a response (a handler streaming a body, the server's accounting) must
 * therefore watch the connection too. One 'close' listener per connection, however many
 * responses wait on it.
 */
export function onConnectionClose(res: ServerResponse, fn: () => void): () => void {
  const conn = res.req.socket;
  if (conn.closed) {
    queueMicrotask(fn);
    return () => {};
  }
  let watchers = connectionWatchers.get(conn);
  if (!watchers) {
    const all = new Set<() => void>();
    connectionWatchers.set(conn, all);
    conn.once('close', () => {
      connectionWatchers.delete(conn);
      for (const w of all) w();
    });
    watchers = all;
  }
  const mine = watchers;
  mine.add(fn);
  return () => void mine.delete(fn);
}

/** The client can no longer receive this response: it was destroyed, or its connection is gone. */
function responseGone(res: ServerResponse): boolean {
  return res.destroyed || res.req.socket.destroyed;
}

/** Bytes per read of `sendFile`; two such buffers per download. */
export const SEND_CHUNK_BYTES = 1 << 20;

/**
 * Send the first `size` bytes of an open, immutable file as the body of a response whose
 * head is written (the caller's Content-Length says `size`), then end it; closes `fh`.
 *
 * Two buffers, reused: one is filled by a read while the other is being written, and a
 * buffer is read into again only after the socket has taken it (its write callback). A
 * read stream allocates a fresh buffer for every chunk instead, whose pages the kernel
 * faults in and zeroes each time: that, more than copying the bytes, halves throughput.
 * A client that goes away (or its connection: see onConnectionClose) ends the loop; a read
 * error or a file shorter than `size` destroys the response, so the client sees a cut body,
 * never a short one that looks whole. Never rejects.
 */
export async function sendFile(res: ServerResponse, fh: FileHandle, size: number): Promise<void> {
  const buffers = [Buffer.allocUnsafeSlow(Math.min(SEND_CHUNK_BYTES, size)), Buffer.allocUnsafeSlow(Math.min(SEND_CHUNK_BYTES, size))];
  const writing = [false, false];
  let wake: (() => void) | null = null;
  const resume = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  res.on('close', resume);
  const unwatch = onConnectionClose(res, resume);
  try {
    let sent = 0;
    for (let i = 0; sent < size; i ^= 1) {
      while (writing[i] && !responseGone(res)) await new Promise<void>((r) => (wake = r));
      if (responseGone(res)) return void res.destroy();
      const buf = buffers[i]!;
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - sent), sent);
      if (bytesRead === 0) throw new Error(`file ended at ${sent} of ${size} bytes`);
      sent += bytesRead;
      writing[i] = true;
      const k = i;
      res.write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), () => {
        writing[k] = false;
        resume();
      });
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', resume);
    unwatch();
    await fh.close().catch(() => {});
  }
}
