import type { IncomingMessage, ServerResponse } from 'node:http';
import { canonicalSemver, checkModulePath, compareSemver, isValidSemver, semverPrerelease, unescapePath } from '../../languages/go/module.js';
import { sendNotFound } from '../http.js';
import type { ModuleStore, StoredFile } from './backend.js';

/**
 * The GOPROXY protocol served from the @v tree: /<module>/@v/list, /<module>/@v/<v>.info|mod|zip,
 * /<module>/@latest. Paths arrive percent-encoded (`!` as %21): decode, then case-unescape.
 * Anything unknown or malformed is 404/410 with text/plain — never 5xx, which would make `go`
 * stop instead of falling through to the next proxy.
 */
const CONTENT_TYPES = { info: 'application/json', mod: 'text/plain; charset=utf-8', zip: 'application/zip' } as const;

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

/** Newest version for @latest: the highest release if there is one, else the highest of all. */
export function latestVersion(versions: string[]): string | undefined {
  const releases = versions.filter((v) => !semverPrerelease(v));
  return [...(releases.length ? releases : versions)].sort(compareSemver).at(-1);
}

export async function handleProxyRead(req: IncomingMessage, res: ServerResponse, storage: ModuleStore, urlPath: string): Promise<void> {
  const parsed = parseProxyPath(urlPath);
  if (!parsed) return sendNotFound(res, `not found: ${urlPath}`);
  return serveProxyRequest(req, res, storage, parsed);
}

/** Answer one parsed GOPROXY request from a module store (either backend). */
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
    return serveFile(res, await storage.read(parsed.module, latest, 'info'), CONTENT_TYPES.info, head, `${parsed.module}@latest`);
  }
  const file = await storage.read(parsed.module, parsed.version, parsed.kind);
  return serveFile(res, file, CONTENT_TYPES[parsed.kind], head, `${parsed.module}@${parsed.version}`);
}

async function serveFile(res: ServerResponse, file: StoredFile | null, type: string, head: boolean, what: string): Promise<void> {
  if (!file) return sendNotFound(res, `not found: ${what}`);
  res.writeHead(200, { 'content-type': type, 'content-length': file.size, 'cache-control': 'public, max-age=31536000, immutable' });
  if (head) {
    file.body.destroy();
    return void res.end();
  }
  // Streamed (a zip can be hundreds of MB); a client going away ends the source too.
  res.on('close', () => file.body.destroy());
  await new Promise<void>((resolve) => {
    file.body
      .on('error', () => {
        res.destroy();
        resolve();
      })
      .pipe(res)
      .on('finish', resolve)
      .on('close', resolve);
  });
}
