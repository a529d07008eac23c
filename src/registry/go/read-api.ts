import type { IncomingMessage, ServerResponse } from 'node:http';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { checkModulePath } from '../../gomod/module-path.js';
import { unescapePath } from '../../gomod/escape.js';
import { onConnectionClose, sendFile, sendNotFound } from '../http.js';
import { noteRequest, type RequestContext, type RequestNote } from '../log.js';
import { DiskModuleStore, type ModuleStore, type StoredFile } from './backend.js';
import { cachedBody, CONTENT_TYPES as TYPES, fileKey, IMMUTABLE, latestVersion, notModified, ReadCache, REVALIDATE, type CachedBody, type ModuleListState, type ReadCacheOptions } from './read-cache.js';

/**
 * The GOPROXY protocol served from the @v tree: /<module>/@v/list, /<module>/@v/<v>.info|mod|zip,
 * /<module>/@latest. Paths arrive percent-encoded (`!` as %21): decode, then case-unescape.
 * Anything unknown or malformed is 404/410 with text/plain — never 5xx, which would make `go`
 * stop instead of falling through to the next proxy.
 *
 * Versioned files are immutable and served like static assets (`Cache-Control: immutable`,
 * strong ETag, If-None-Match → 304); `list` and `@latest` carry an ETag and `no-cache`, so
 * clients revalidate. Small files come from ./read-cache.ts, whose invariants say when a
 * cached answer may be used; a hit is answered synchronously (`fast`), before the server's
 * async request machinery, which costs more than the answer itself. Zips too large for the
 * cache are sent from the open file through two reused buffers (../http.ts sendFile), never
 * buffered whole.
 */
export type ProxyRequest = { module: string; kind: 'list' | 'latest' } | { module: string; kind: 'info' | 'mod' | 'zip'; version: string };

export function parseProxyPath(urlPath: string): ProxyRequest | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  path = path.replace(/^\/+/, '');
  let escModule: string;
  let rest: string;
  if (path.endsWith('/@latest')) {
    escModule = path.slice(0, -'/@latest'.length);
    rest = '@latest';
  } else {
    const i = path.lastIndexOf('/@v/');
    if (i < 0) return null;
    escModule = path.slice(0, i);
    rest = path.slice(i + 4);
  }
  const module = unescapePath(escModule);
  if (!module || checkModulePath(module)) return null;
  if (rest === '@latest') return { module, kind: 'latest' };
  if (rest === 'list') return { module, kind: 'list' };
  const m = /^(.+)\.(info|mod|zip)$/.exec(rest);
  if (!m) return null;
  const version = unescapePath(m[1]!);
  if (!version || !isValidSemver(version) || canonicalSemver(version) !== version) return null;
  return { module, kind: m[2] as 'info' | 'mod' | 'zip', version };
}

export { latestVersion };

/** Answer one parsed GOPROXY request from a module store (either backend), uncached (Athens' external-storage reads). */
export async function serveProxyRequest(req: IncomingMessage, res: ServerResponse, storage: ModuleStore, parsed: ProxyRequest): Promise<void> {
  const head = req.method === 'HEAD';
  if (!('version' in parsed)) {
    const versions = await storage.list(parsed.module);
    if (versions === null) return sendNotFound(res, `unknown module ${parsed.module}`);
    if (parsed.kind === 'list') {
      const body = versions.map((v) => v + '\n').join('');
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      return void res.end(head ? undefined : body);
    }
    const latest = latestVersion(versions);
    if (!latest) return sendNotFound(res, `no versions of ${parsed.module}`);
    return serveFile(req, res, await storage.read(parsed.module, latest, 'info'), TYPES.info, REVALIDATE, `${parsed.module}@latest`);
  }
  const file = await storage.read(parsed.module, parsed.version, parsed.kind);
  return serveFile(req, res, file, TYPES[parsed.kind], IMMUTABLE, `${parsed.module}@${parsed.version}`);
}

async function serveFile(req: IncomingMessage, res: ServerResponse, file: StoredFile | null, type: string, cacheControl: string, what: string): Promise<void> {
  if (!file) return sendNotFound(res, `not found: ${what}`);
  return streamBody(req, res, file.body, { 'content-type': type, 'content-length': file.size, 'cache-control': cacheControl });
}

const MAX_PARSED_URLS = 10_000;

export interface ReadApi {
  cache: ReadCache;
  /**
   * Answer from memory, synchronously, with `ctx`'s request id, and note in `ctx` what was
   * served (the request has no async context yet); false when `handle` must answer.
   */
  fast(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): boolean;
  handle(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void>;
}

/**
 * The read API of one server. `fast` only knows request targets that `handle` has parsed
 * before (the server routed them here), so it never answers a path another mount owns.
 */
export function createReadApi(store: ModuleStore, o: ReadCacheOptions = {}): ReadApi {
  const cache = new ReadCache(store, o);
  /** Request targets `handle` has parsed, with their cache key (computed once, not per hit). */
  const parsedUrls = new Map<string, { parsed: ProxyRequest; key: string | undefined }>();
  const disk = store instanceof DiskModuleStore ? store : null;

  const fast = (req: IncomingMessage, res: ServerResponse, ctx: RequestContext): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const known = parsedUrls.get(req.url ?? '');
    if (!known) return false;
    const { parsed, key } = known;
    const state = cache.currentList(parsed.module);
    if (!state) return false;
    const body = 'version' in parsed ? cache.cachedFile(parsed.module, parsed.version, parsed.kind, state, key) : parsed.kind === 'list' ? state.list : state.latest;
    if (!body) return false;
    noteServed(ctx, parsed);
    answer(req, res, body, ctx.requestId);
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> => {
    const parsed = parseProxyPath(urlPath);
    if (!parsed) return sendNotFound(res, `not found: ${urlPath}`);
    noteRequest(noteServed({}, parsed));
    if (req.url && (req.method === 'GET' || req.method === 'HEAD')) {
      if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
      parsedUrls.set(req.url, { parsed, key: 'version' in parsed ? fileKey(parsed.module, parsed.version, parsed.kind) : undefined });
    }
    const state = await cache.list(parsed.module);
    if (!('version' in parsed)) {
      if (!state) return sendNotFound(res, `unknown module ${parsed.module}`);
      if (parsed.kind === 'list') return answer(req, res, state.list);
      if (!state.latestVersion) return sendNotFound(res, `no versions of ${parsed.module}`);
      if (state.latest) return answer(req, res, state.latest);
      return serveVersioned(req, res, parsed.module, state.latestVersion, 'info', state, REVALIDATE);
    }
    return serveVersioned(req, res, parsed.module, parsed.version, parsed.kind, state, IMMUTABLE);
  };

  const serveVersioned = async (req: IncomingMessage, res: ServerResponse, module: string, version: string, ext: 'info' | 'mod' | 'zip', state: ModuleListState | null, cacheControl: string): Promise<void> => {
    const what = `${module}@${cacheControl === IMMUTABLE ? version : 'latest'}`;
    const hit = state && cache.cachedFile(module, version, ext, state);
    if (hit) return answer(req, res, cacheControl === IMMUTABLE ? hit : cachedBody(hit.body, hit.type, cacheControl, hit.etag));
    // A big zip on disk: opened here to read it in large chunks, ETag from the open file.
    if (disk && ext === 'zip') return streamDiskFile(req, res, disk.storage.proxyFile(module, version, ext), TYPES[ext], cacheControl, cache.maxEntryBytes, what, () => cache.file(module, version, ext, state));
    const f = await cache.file(module, version, ext, state);
    if (!f) return sendNotFound(res, `not found: ${what}`);
    if ('body' in f) return answer(req, res, cacheControl === IMMUTABLE ? f : cachedBody(f.body, TYPES[ext], cacheControl, f.etag));
    return streamBody(req, res, f.stream, { 'content-type': TYPES[ext], 'content-length': f.size, 'cache-control': cacheControl });
  };

  return { cache, fast, handle };
}

/** What the request is about, for its log event and the served counter (see ../log.ts). */
function noteServed<T extends RequestNote>(note: T, p: ProxyRequest): T {
  note.module = p.module;
  if ('version' in p) note.version = p.version;
  note.served = p.kind;
  return note;
}

/**
 * 200 with the body (none for HEAD), or 304 when the client already has these bytes. The
 * fast path passes its request id here. Headers go to writeHead alone, as a flat list: node
 * writes them in order, with no object to enumerate and none of the per-header bookkeeping
 * that a setHeader beforehand switches on.
 */
function answer(req: IncomingMessage, res: ServerResponse, b: CachedBody, requestId?: string): void {
  const unchanged = notModified(req.headers['if-none-match'], b.etag);
  const headers: (string | number)[] = unchanged
    ? ['etag', b.etag, 'cache-control', b.cacheControl]
    : ['content-type', b.type, 'content-length', b.body.length, 'cache-control', b.cacheControl, 'etag', b.etag];
  if (requestId !== undefined) headers.push('x-request-id', requestId);
  res.writeHead(unchanged ? 304 : 200, headers);
  res.end(unchanged || req.method === 'HEAD' ? undefined : b.body);
}

async function streamDiskFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  type: string,
  cacheControl: string,
  maxCached: number,
  what: string,
  small: () => Promise<Awaited<ReturnType<ReadCache['file']>>>,
): Promise<void> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return sendNotFound(res, `not found: ${what}`);
  const st = await fh.stat().catch(() => null);
  if (!st?.isFile() || st.size <= maxCached) {
    await fh.close().catch(() => {});
    if (!st?.isFile()) return sendNotFound(res, `not found: ${what}`);
    // Small enough for memory: the cache path (content-hash ETag, kept for next time).
    const f = await small();
    if (!f) return sendNotFound(res, `not found: ${what}`);
    if ('body' in f) return answer(req, res, f);
    return streamBody(req, res, f.stream, { 'content-type': type, 'content-length': f.size, 'cache-control': cacheControl });
  }
  // Immutable file: the same inode, size and mtime can only mean the same bytes.
  const etag = `"z${st.ino.toString(36)}-${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
  if (notModified(req.headers['if-none-match'], etag)) {
    await fh.close().catch(() => {});
    res.writeHead(304, { etag, 'cache-control': cacheControl });
    return void res.end();
  }
  res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'cache-control': cacheControl, etag });
  if (req.method === 'HEAD') {
    await fh.close().catch(() => {});
    return void res.end();
  }
  return sendFile(res, fh, st.size);
}

async function streamBody(req: IncomingMessage, res: ServerResponse, body: Readable, headers: Record<string, string | number>): Promise<void> {
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    body.destroy();
    return void res.end();
  }
  // A client going away ends the source too; so does its connection, for a response queued
  // behind another one, which never learns of it (see ../http.ts onConnectionClose).
  res.on('close', () => body.destroy());
  let unwatch = () => {};
  await new Promise<void>((resolve) => {
    unwatch = onConnectionClose(res, () => {
      body.destroy();
      res.destroy();
      resolve();
    });
    body
      .on('error', () => {
        res.destroy();
        resolve();
      })
      .pipe(res)
      .on('finish', resolve)
      .on('close', resolve);
  });
  unwatch();
}
