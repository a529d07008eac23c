import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleProxyRead } from './go/read-api.js';
import { GoStorage } from './go/storage.js';
import { handleUpload } from './go/upload.js';
import { sendError, sendJson, sendNotFound } from './http.js';
import { TOOL_VERSION } from '../util/tool-version.js';

/**
 * `ameide-pkg registry serve`: the Go module uploader (+ optional GOPROXY read API) and,
 * mounted under a prefix, the Python index — one process for `ameide-pkg dev`.
 */
export interface RegistryOptions {
  storage: string;
  host?: string;
  port?: number;
  readApi?: boolean;
  token?: string;
  maxZipBytes?: number;
  /** Mount a Python index under this prefix (e.g. "/pypi"). */
  python?: { prefix: string; storage: string; username?: string; password?: string };
  log?: (line: string) => void;
}

export interface RunningRegistry {
  server: Server;
  url: string;
  storage: GoStorage;
  /** Stop accepting, let in-flight requests finish, resolve when closed. */
  close(): Promise<void>;
}

export const SERVER_VERSION = TOOL_VERSION;

export async function startRegistry(opts: RegistryOptions): Promise<RunningRegistry> {
  const storage = new GoStorage(opts.storage);
  await storage.recover();
  type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  let python: Handler | undefined;
  if (opts.python) {
    const { createPythonIndex } = await import('./python/index.js');
    const idx = await createPythonIndex({ ...opts.python, log: opts.log });
    python = (req, res, path) => idx.handle(req, res, path);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname;
    const route = async () => {
      if (opts.python && python && (path === opts.python.prefix || path.startsWith(opts.python.prefix + '/'))) {
        return python(req, res, path.slice(opts.python.prefix.length) || '/');
      }
      if (path === '/upload') {
        if (req.method !== 'POST') return sendError(res, 405, 'use POST /upload');
        return handleUpload(req, res, { storage, token: opts.token, maxZipBytes: opts.maxZipBytes, log: opts.log });
      }
      if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (path === '/readyz') {
        const ok = await storage.writable();
        return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'storage not writable', storage: opts.storage });
      }
      if (path === '/version') return sendJson(res, 200, { name: 'ameide-pkg-registry', version: SERVER_VERSION, readApi: Boolean(opts.readApi), python: Boolean(opts.python) });
      if (opts.readApi && (req.method === 'GET' || req.method === 'HEAD')) return handleProxyRead(req, res, storage, path);
      return sendNotFound(res, `not found: ${path}`);
    };
    route().catch((err: Error) => {
      opts.log?.(`error handling ${req.method} ${path}: ${err.stack ?? err}`);
      // Read paths answer 404 rather than 5xx so go falls through (DESIGN.md §7).
      if (req.method === 'GET' && path !== '/upload') sendNotFound(res, 'not found');
      else sendError(res, 500, 'internal error', err.message);
    });
  });
  server.requestTimeout = 0; // uploads of hundreds of MB must not be cut by the default 5 min
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    storage,
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
