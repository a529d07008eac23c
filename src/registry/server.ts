import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiskModuleStore, type ModuleStore } from './go/backend.js';
import { externalPreflight, handleExternal, isExternalRequest, redactExternalPath } from './go/external.js';
import { createReadApi, type ReadApi } from './go/read-api.js';
import { observeWrites } from './go/read-cache.js';
import { handleUpload, uploadPreflight, type UploadOptions } from './go/upload.js';
import { isUploadRoute as isPythonUpload } from './python/upload.js';
import { onConnectionClose, refuse, sendError, sendJson, sendNotFound, type Refusal } from './http.js';
import { messageLogger, requestIdFrom, runInRequest, type LogLevel, type LogSink, type RequestContext } from './log.js';
import { createMetrics, NO_METRICS, uploadResultOf, type ExposedMetrics, type RegistryMetrics, type Route, type UploadRegistry } from './metrics.js';
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
 *  6. Every request is observed exactly once, when it is over (answered, refused, cut off or
 *     abandoned): one access-log event and one sample per metric, under a request id that is
 *     echoed as X-Request-Id and carried by every message logged while serving it.
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
  /** Typed log events (see ./log.ts); the CLI renders them as text or JSON lines. */
  log?: LogSink;
  /** Serve GET /metrics (Prometheus text, with process metrics); default true. */
  metrics?: boolean;
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
  /** What this server counts (NO_METRICS when started with `metrics: false`). */
  metrics: RegistryMetrics;
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
  const sink = opts.log;
  const log = messageLogger(sink);
  const logError = messageLogger(sink, 'error');
  const exposed: ExposedMetrics | undefined = opts.metrics === false ? undefined : await createMetrics();
  const metrics: RegistryMetrics = exposed ?? NO_METRICS;
  const t: ServerTimeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  // node refuses a headers timeout longer than the request timeout.
  if (t.requestMs > 0 && t.headersMs > t.requestMs) t.headersMs = t.requestMs;

  const mounts = await buildMounts(opts, storage, log, exposed);

  /** Per connection: the response in progress (for the idle and clientError decisions). */
  const current = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  const responding = new Set<ServerResponse>();
  const inflight = new Set<Promise<void>>();
  let closing = false;

  /** Every request starts here: its clock, its id, and what the server learns while serving it. */
  const begin = (req: IncomingMessage): Seen => ({
    started: performance.now(),
    // Every field present from the start: one object shape for all requests.
    ctx: { requestId: requestIdFrom(req.headers['x-request-id']), module: undefined, version: undefined, result: undefined, served: undefined },
    route: 'invalid',
    path: undefined,
    sub: '',
    bytes: 0,
  });

  /**
   * A read-API answer already in memory is given at once, before the per-request machinery
   * (see go/read-api.ts); it is still observed — request id, metrics, access log — cheaply.
   */
  const fastRead = (req: IncomingMessage, res: ServerResponse, seen: Seen): boolean => {
    if (closing || !mounts.fastRead?.(req, res, seen.ctx)) return false;
    seen.route = 'read_api';
    observe(req, res, seen);
    return true;
  };

  const dispatch = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, seen: Seen) => {
    const socket = req.socket;
    current.set(socket, { req, res });
    responding.add(res);
    res.setHeader('x-request-id', seen.ctx.requestId);
    countBody(req, seen);
    let observed = false;
    const release = () => {
      unwatch();
      if (current.get(socket)?.res === res) current.delete(socket);
      responding.delete(res);
      if (!observed) {
        observed = true;
        observe(req, res, seen);
      }
      // Shutting down: a keep-alive connection that just became idle is closed now.
      if (closing) setImmediate(() => server.closeIdleConnections());
    };
    res.once('finish', release);
    res.once('close', release);
    // A response queued behind another (pipelining) hears neither when its connection dies.
    const unwatch = onConnectionClose(res, release);
    socket.setTimeout(t.idleMs);
    if (closing) res.shouldKeepAlive = false;
    const task = runInRequest(seen.ctx, () => serve(req, res, expectsContinue, seen))
      .catch((err: unknown) => lastResort(req, res, err, seen))
      .finally(() => inflight.delete(task));
    inflight.add(task);
  };

  /** The one observation of a request: metrics and the access-log event. Never throws. */
  const observe = (req: IncomingMessage, res: ServerResponse, seen: Seen) => {
    try {
      const seconds = (performance.now() - seen.started) / 1000;
      const method = req.method ?? 'GET';
      // Headers sent but the body cut short still tells what the client was told.
      const status = res.headersSent ? res.statusCode : 0;
      metrics.request(seen.route, method, status, seconds);
      const upload = uploadRegistry(seen, method);
      if (upload) {
        seen.ctx.result ??= uploadResultOf(status);
        metrics.upload(upload, seen.ctx.result, seconds, seen.bytes);
      }
      const served = seen.ctx.served;
      if (served && status === 200 && (method === 'GET' || method === 'HEAD')) metrics.served(seen.route === 'python' ? 'python' : 'go', served);
      if (!sink) return;
      // The fast path leaves the target unparsed: only the log needs it.
      const path = seen.path === undefined ? requestPath(req.url) : seen.path;
      const level: LogLevel = status >= 500 || status === 0 ? 'warn' : 'info';
      const { requestId, module, version, result } = seen.ctx;
      sink({
        kind: 'request',
        time: new Date().toISOString(),
        level,
        requestId,
        method,
        path: path === null ? null : redactExternalPath(path),
        status,
        durationMs: Math.round(seconds * 1000),
        ...(module !== undefined ? { module } : {}),
        ...(version !== undefined ? { version } : {}),
        ...(result !== undefined ? { result } : {}),
      });
    } catch {
      /* observing must never take a request (or the process) down */
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, seen: Seen): Promise<void> => {
    const path = requestPath(req.url);
    seen.path = path;
    if (path === null) return refuse(req, res, { status: 400, error: 'invalid request target', detail: 'send a path such as /upload or /healthz' });
    const { mount, sub, name } = route(mounts, path, req.method ?? 'GET');
    seen.route = name;
    seen.sub = sub;
    const refusal = mount.preflight?.(req, sub) ?? null;
    if (refusal) {
      log?.(`refused ${req.method} ${redactExternalPath(path)} (${refusal.status}): ${refusal.error}`);
      return refuse(req, res, refusal);
    }
    if (expectsContinue) res.writeContinue();
    await mount.handle(req, res, sub);
  };

  const lastResort = (req: IncomingMessage, res: ServerResponse, err: unknown, seen: Seen) => {
    try {
      // The path, not req.url: a query string is where clients put secrets (and the external
      // storage secret is a path segment: redacted).
      const path = seen.path ?? null;
      runInRequest(seen.ctx, () => logError?.(`error handling ${req.method} ${path === null ? '(invalid target)' : redactExternalPath(path)}: ${(err as Error)?.stack ?? err}`));
      if (res.headersSent) return void res.destroy();
      res.shouldKeepAlive = false;
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
    (req, res) => {
      const seen = begin(req);
      if (!fastRead(req, res, seen)) dispatch(req, res, false, seen);
    },
  );
  // With this listener node no longer sends "100 Continue" by itself: preflight decides.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => dispatch(req, res, true, begin(req)));
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
    if (active) log?.(`cut off ${active.req.method} ${redactExternalPath(requestPath(active.req.url) ?? '(invalid target)')}: no progress for ${t.idleMs} ms (id ${String(active.res.getHeader('x-request-id'))})`);
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  // After start-up a server error (e.g. EMFILE on accept) is logged, never thrown.
  server.removeAllListeners('error');
  server.on('error', (err) => logError?.(`server error: ${err.message}`));
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
      exposed?.close();
      // Handlers of cut-off requests clean up their staging; give them a moment, not forever.
      await Promise.race([Promise.allSettled([...inflight]), sleep(5_000, undefined, { ref: false })]);
    })();
    return closed;
  };

  return { server, storage, metrics, url: `http://${host}:${addr.port}`, close };
}

/** What the server learns about one request while serving it. */
interface Seen {
  /** performance.now() at the request's start: a number, not a BigInt to allocate per request. */
  started: number;
  ctx: RequestContext;
  route: Route;
  /** The request target's path; null: not a URL; undefined: not parsed (the fast path). */
  path: string | null | undefined;
  sub: string;
  /** Request body bytes that arrived, whether or not a handler read them. */
  bytes: number;
}

/**
 * Counts body bytes as node's HTTP parser hands them to the request (it calls `push` on the
 * request stream). Counting by listening to 'data' instead would switch the request into
 * flowing mode before its handler is ready to read it, and those first chunks would be lost.
 */
function countBody(req: IncomingMessage, seen: Seen): void {
  const push = req.push;
  req.push = function (chunk: unknown, encoding?: BufferEncoding) {
    if (chunk && typeof (chunk as Buffer).length === 'number') seen.bytes += (chunk as Buffer).length;
    return push.call(this, chunk, encoding);
  };
}

function uploadRegistry(seen: Seen, method: string): UploadRegistry | null {
  if (method !== 'POST') return null;
  if (seen.route === 'upload') return 'go';
  if (seen.route === 'python' && isPythonUpload(method, seen.sub)) return 'python';
  return null;
}

type Mounts = {
  python?: { prefix: string; mount: Mount };
  upload: Mount;
  healthz: Mount;
  readyz: Mount;
  version: Mount;
  metrics: Mount;
  readApi?: Mount;
  /** Synchronous cache hits of the read API (see go/read-api.ts); false: route as usual. */
  fastRead?: ReadApi['fast'];
  /** Athens' external storage (when a secret is configured; else a 404 explaining how). */
  external: Mount;
  notFound: Mount;
};

async function buildMounts(opts: RegistryOptions, readStore: ModuleStore, log: ((line: string) => void) | undefined, exposed: ExposedMetrics | undefined): Promise<Mounts> {
  const readApi = opts.readApi ? createReadApi(readStore) : undefined;
  // Writers go through a store that drops what the read cache holds for the module they touch.
  const storage = readApi ? observeWrites(readStore, readApi.cache) : readStore;
  let python: Mounts['python'];
  if (opts.python) {
    const { createPythonIndex } = await import('./python/index.js');
    const idx: { handle: Mount['handle']; preflight?: Mount['preflight'] } = await createPythonIndex({ ...opts.python, log });
    python = { prefix: opts.python.prefix, mount: { handle: (req, res, p) => idx.handle(req, res, p), preflight: (req, p) => idx.preflight?.(req, p) ?? null } };
  }
  const uploadOpts: UploadOptions = { storage, token: opts.token, maxZipBytes: opts.maxZipBytes, log };
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
    metrics: {
      handle: async (req, res) => {
        if (!exposed) return sendNotFound(res, 'metrics are disabled');
        if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'use GET /metrics');
        const { contentType, body } = await exposed.expose();
        res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
    },
    readApi: readApi && { handle: (req, res, path) => readApi.handle(req, res, path) },
    fastRead: readApi?.fast,
    external:
      opts.externalSecret !== undefined
        ? {
            handle: (req, res, path) => handleExternal(req, res, path, { store: storage, secret: opts.externalSecret!, maxZipBytes: opts.maxZipBytes, log }),
            preflight: (req, path) => externalPreflight(req, path, opts.externalSecret!),
          }
        : {
            handle: (_req, res) => sendNotFound(res, 'Athens external storage is not enabled (registry serve --external-storage-secret-file)'),
            preflight: (req) => (req.method === 'POST' || req.method === 'DELETE' ? { status: 404, error: 'Athens external storage is not enabled', detail: 'registry serve --external-storage-secret-file' } : null),
          },
    notFound: { handle: (_req, res, path) => sendNotFound(res, `not found: ${path}`) },
  };
}

function route(m: Mounts, path: string, method: string): { mount: Mount; sub: string; name: Route } {
  if (m.python && (path === m.python.prefix || path.startsWith(m.python.prefix + '/'))) return { mount: m.python.mount, sub: path.slice(m.python.prefix.length) || '/', name: 'python' };
  if (isExternalRequest(path, method)) return { mount: m.external, sub: path, name: 'external' };
  if (path === '/upload') return { mount: m.upload, sub: path, name: 'upload' };
  if (path === '/healthz') return { mount: m.healthz, sub: path, name: 'healthz' };
  if (path === '/readyz') return { mount: m.readyz, sub: path, name: 'readyz' };
  if (path === '/version') return { mount: m.version, sub: path, name: 'version' };
  if (path === '/metrics') return { mount: m.metrics, sub: path, name: 'metrics' };
  if (m.readApi && (method === 'GET' || method === 'HEAD')) return { mount: m.readApi, sub: path, name: 'read_api' };
  return { mount: m.notFound, sub: path, name: 'not_found' };
}
