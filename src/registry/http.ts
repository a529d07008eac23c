import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Small helpers shared by the registry's handlers. */
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
}

/**
 * Answer a request whose body has not been read: the JSON error with `Connection: close`,
 * then the rest of the body is read and discarded (up to `lingerBytes`) so the client, still
 * sending, reads the answer instead of a connection reset. Resolves when the socket is done.
 */
export async function refuse(req: IncomingMessage, res: ServerResponse, r: Refusal, lingerBytes = 64 << 20): Promise<void> {
  res.shouldKeepAlive = false;
  sendError(res, r.status, r.error, r.detail);
  if (!req.complete) await drain(req, lingerBytes);
}

/** Read and discard up to `max` bytes of a request body, then give up on the connection. */
export function drain(req: IncomingMessage, max: number): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    const done = () => {
      req.removeAllListeners('data');
      resolve();
    };
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.destroy();
        done();
      }
    });
    req.on('end', done);
    req.on('error', done);
    req.on('close', done);
    req.resume();
  });
}
