import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DiskModuleStore, type ModuleStore } from './go/backend.js';
import { externalPreflight, handleExternal, isExternalRequest, redactExternalPath } from './go/external.js';
import { createReadApi, type ReadApi } from './go/read-api.js';
import { observeWrites } from './go/read-cache.js';
import { handleUpload, uploadPreflight, type UploadOptions } from './go/upload.js';
import { refuse, sendError, sendJson, sendNotFound, type Refusal } from './http.js';
import { TOOL_VERSION } from '../util/tool-version.js';

/**
 * `ameide-pkg registry serve`: the Go module uploader (+ optional GOPROXY read API) and,
 * mounted under a prefix, the Python index — one process for `ameide-pkg dev`.
 *
 * It runs exposed, around the clock, so every request is hostile until proven otherwise:
 *  1. No request can end the process. The request target is parsed inside the per-request
 *     error handling (node hands `GET http://[ HTTP/1.1` to the handler, and `new URL` throws
 *     on it); requests node's parser rejects get a 400/408/431 from 'clientError'; whatever a
 *     handler throws or rejects ends in one last-resort answer that itself cannot throw.
 *  2. No client can hold a connection forever: headers within `headersMs`, the whole request
 *     within `requestMs`, and a client that neither sends nor reads for `idleMs` is cut off —
 *     but never while the server itself is busy (a large zip being verified is not idleness).
 *  3. Refusals happen before the body: each mount may have a `preflight` evaluated as soon as
 *     the headers are in (also for `Expect: 100-continue`, which then gets no "100 Continue"),
 *     answered by `refuse()` so the client reads a JSON error, not a connection reset.
 *  4. Shutdown drains: stop accepting, let in-flight requests finish up to a deadline, then
 *     close what is left; handlers see an aborted request and remove their staging.
 *  5. Answers never reveal server paths (no storage root in /readyz, no error messages of
 *     internal failures — those go to the log).
 */
export interface RegistryOptions {
  /** A storage directory (disk), or an opened module store (disk or s3, see go/backend.ts). */
  storage: string | ModuleStore;
  /** Serve Athens' external-storage API under /athens/<secret>/ (see go/external.ts). */
  externalSecret?: string;
  host?: string;
  port?: number;
  readApi?: boolean;
  token?: string;
  maxZipBytes?: number;
  /** Mount a Python index under this prefix (e.g. "/pypi"). */
  python?: { prefix: string; storage: string; username?: string; password?: string };
  timeouts?: Partial<ServerTimeouts>;
  log?: (line: string) => void;
}

export interface ServerTimeouts {
  /** The complete request (headers and body) must have arrived by then; 0: no limit. */
  requestMs: number;
  /** The request line and headers must have arrived by then (slow-loris). */
  headersMs: number;
  /** A client that neither sends nor reads for this long is cut off (a stalled upload). */
  idleMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

/** Uploads of hundreds of MB must fit in `requestMs`; a stalled one is caught by `idleMs`. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestMs: 15 * 60_000, headersMs: 30_000, idleMs: 60_000, keepAliveMs: 5_000 };
export const DEFAULT_SHUTDOWN_MS = 30_000;

/** Something mounted on a path: `preflight` is asked at header time, before any body byte is read. */
export interface Mount {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> | void;
  preflight?(req: IncomingMessage, path: string): Refusal | null;
}

export interface RunningRegistry {
  server: Server;
  url: string;
  storage: ModuleStore;
  /**
   * Stop accepting, let in-flight requests finish for up to `deadlineMs` (default 30 s), then
   * close the connections still open; resolves when handlers have cleaned up. Calling it
   * again with a shorter deadline (a second SIGTERM) cuts the wait short.
   */
  close(deadlineMs?: number): Promise<void>;
}

export const SERVER_VERSION = TOOL_VERSION;

/** Path of a request target, or null when it is not a URL at all (e.g. `http://[`). */
export function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://registry').pathname;
  } catch {
    return null;
  }
}

export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const storage = typeof opts.storage === 'string' ? new DiskModuleStore(opts.storage) : opts.storage;
  await storage.recover();
  const log = opts.log;
  const t: ServerTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  // node refuses a headers timeout longer than the request timeout.
  if (t.requestMs > 0 && t.headersMs > t.requestMs) t.headersMs = t.requestMs;

  const mounts = await buildMounts(opts, storage);

  /** Per connection: the response in progress (for the idle and clientError decisions). */
  const current = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  const responding = new Set<ServerResponse>();
  const inflight = new Set<Promise<void>>();
  let closing = false;

  const dispatch = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const socket = req.socket;
    current.set(socket, { req, res });
    responding.add(res);
    const release = () => {
      if (current.get(socket)?.res === res) current.delete(socket);
      responding.delete(res);
      // Shutting down: a keep-alive connection that just became idle is closed now.
      if (closing) setImmediate(() => server.closeIdleConnections());
    };
    res.once('finish', release);
    res.once('close', release);
    socket.setTimeout(t.idleMs);
    if (closing) res.shouldKeepAlive = false;
    const task = serve(req, res, expectsContinue)
      .catch((err: unknown) => lastResort(req, res, err))
      .finally(() => inflight.delete(task));
    inflight.add(task);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> => {
    const path = requestPath(req.url);
    if (path === null) return refuse(req, res, { status: 400, error: 'invalid request target', detail: 'send a path such as /upload or /healthz' });
    const { mount, sub } = route(mounts, path, req.method ?? 'GET');
    const refusal = mount.preflight?.(req, sub) ?? null;
    if (refusal) {
      log?.(`refused ${req.method} ${redactExternalPath(path)} (${refusal.status}): ${refusal.error}`);
      return refuse(req, res, refusal);
    }
    if (expectsContinue) res.writeContinue();
    await mount.handle(req, res, sub);
  };

  const lastResort = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    try {
      log?.(`error handling ${req.method} ${redactExternalPath(req.url ?? '')}: ${(err as Error)?.stack ?? err}`);
      if (res.headersSent) return void res.destroy();
      res.shouldKeepAlive = false;
      const path = requestPath(req.url);
      // Read paths answer 404 rather than 5xx so go falls through to the next proxy.
      if ((req.method === 'GET' || req.method === 'HEAD') && path !== '/upload') sendNotFound(res, 'not found');
      else sendError(res, 500, 'internal error', 'see the registry log');
    } catch {
      res.destroy();
    }
  };

  const server = createServer(
    {
      requestTimeout: t.requestMs,
      headersTimeout: t.headersMs,
      keepAliveTimeout: t.keepAliveMs,
      // How often node checks the two timeouts above (default 30 s, too coarse for short ones).
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(t.headersMs, t.requestMs || Infinity) / 4))),
    },
    // A read-API answer already in memory is given at once, before the per-request machinery.
    (req, res) => (!closing && mounts.fastRead?.(req, res)) || dispatch(req, res, false),
  );
  // With this listener node no longer sends "100 Continue" by itself: preflight decides.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => dispatch(req, res, true));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    try {
      const active = current.get(socket);
      if (err.code === 'ECONNRESET' || !socket.writable || active?.res.headersSent) return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const error = status === 431 ? 'request headers too large' : status === 408 ? 'request timed out' : `malformed request (${err.code ?? 'parse error'})`;
      // Answered on the socket, not through a response in progress: finishing that response
      // would detach its request, which then never learns that the connection is gone, and
      // its handler would wait forever. Closing the socket aborts the request instead.
      const body = JSON.stringify({ error }) + '\n';
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 1000).unref();
    } catch {
      socket.destroy();
    }
  });
  // Idle: node emits 'timeout' on the server for a socket that neither sent nor received for
  // `idleMs` (or a keep-alive connection past keepAliveMs); with a listener it is ours to act.
  server.setTimeout(t.idleMs, (socket: Socket) => {
    const active = current.get(socket);
    // Body fully received, answer not started: the server is working, not the client stalling.
    if (active && active.req.complete && !active.res.headersSent) return;
    if (active) log?.(`cut off ${active.req.method} ${redactExternalPath(active.req.url ?? '')}: no progress for ${t.idleMs} ms`);
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  // After start-up a server error (e.g. EMFILE on accept) is logged, never thrown.
  server.removeAllListeners('error');
  server.on('error', (err) => log?.(`server error: ${err.message}`));
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  let closed: Promise<void> | undefined;
  let cutOff: NodeJS.Timeout | undefined;
  const close = (deadlineMs = DEFAULT_SHUTDOWN_MS): Promise<void> => {
    clearTimeout(cutOff);
    cutOff = setTimeout(() => server.closeAllConnections(), Math.max(0, deadlineMs));
    if (closed) return closed;
    closing = true;
    for (const res of responding) if (!res.headersSent) res.shouldKeepAlive = false;
    closed = (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await stopped;
      clearTimeout(cutOff);
      // Handlers of cut-off requests clean up their staging; give them a moment, not forever.
      await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 5_000).unref())]);
    })();
    return closed;
  };

  return { server, storage, url: `http://${host}:${addr.port}`, close };
}

type Mounts = {
  python?: { prefix: string; mount: Mount };
  upload: Mount;
  healthz: Mount;
  readyz: Mount;
  version: Mount;
  readApi?: Mount;
  /** Synchronous cache hits of the read API (see go/read-api.ts); false: route as usual. */
  fastRead?: ReadApi['fast'];
  /** Athens' external storage (when a secret is configured; else a 404 explaining how). */
  external: Mount;
  notFound: Mount;
};

async function buildMounts(opts: RegistryOptions, readStore: ModuleStore): Promise<Mounts> {
  const readApi = opts.readApi ? createReadApi(readStore) : undefined;
  // Writers go through a store that drops what the read cache holds for the module they touch.
  const storage = readApi ? observeWrites(readStore, readApi.cache) : readStore;
  let python: Mounts['python'];
  if (opts.python) {
    const { createPythonIndex } = await import('./python/index.js');
    const idx: { handle: Mount['handle']; preflight?: Mount['preflight'] } = await createPythonIndex({ ...opts.python, log: opts.log });
    python = { prefix: opts.python.prefix, mount: { handle: (req, res, p) => idx.handle(req, res, p), preflight: (req, p) => idx.preflight?.(req, p) ?? null } };
  }
  const uploadOpts: UploadOptions = { storage, token: opts.token, maxZipBytes: opts.maxZipBytes, log: opts.log };
  return {
    python,
    upload: {
      preflight: (req) => (req.method === 'POST' ? uploadPreflight(req, uploadOpts) : { status: 405, error: 'use POST /upload' }),
      handle: (req, res) => handleUpload(req, res, uploadOpts),
    },
    healthz: { handle: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    readyz: {
      handle: async (_req, res) => {
        const ok = await storage.writable();
        // The storage path is not the client's business (it maps the server's filesystem).
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'storage not writable' });
      },
    },
    version: { handle: (_req, res) => sendJson(res, 200, { name: 'ameide-pkg-registry', version: SERVER_VERSION, readApi: Boolean(opts.readApi), python: Boolean(opts.python) }) },
    readApi: readApi && { handle: (req, res, path) => readApi.handle(req, res, path) },
    fastRead: readApi?.fast,
    external:
      opts.externalSecret !== undefined
        ? {
            handle: (req, res, path) => handleExternal(req, res, path, { store: storage, secret: opts.externalSecret!, maxZipBytes: opts.maxZipBytes, log: opts.log }),
            preflight: (req, path) => externalPreflight(req, path, opts.externalSecret!),
          }
        : {
            handle: (_req, res) => sendNotFound(res, 'Athens external storage is not enabled (registry serve --external-storage-secret-file)'),
            preflight: (req) => (req.method === 'POST' || req.method === 'DELETE' ? { status: 404, error: 'Athens external storage is not enabled', detail: 'registry serve --external-storage-secret-file' } : null),
          },
    notFound: { handle: (_req, res, path) => sendNotFound(res, `not found: ${path}`) },
  };
}

function route(m: Mounts, path: string, method: string): { mount: Mount; sub: string } {
  if (m.python && (path === m.python.prefix || path.startsWith(m.python.prefix + '/'))) return { mount: m.python.mount, sub: path.slice(m.python.prefix.length) || '/' };
  if (isExternalRequest(path, method)) return { mount: m.external, sub: path };
  if (path === '/upload') return { mount: m.upload, sub: path };
  if (path === '/healthz') return { mount: m.healthz, sub: path };
  if (path === '/readyz') return { mount: m.readyz, sub: path };
  if (path === '/version') return { mount: m.version, sub: path };
  if (m.readApi && (method === 'GET' || method === 'HEAD')) return { mount: m.readApi, sub: path };
  return { mount: m.notFound, sub: path };
}
