import type { IncomingMessage, ServerResponse } from 'node:http';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { checkModulePath } from '../../gomod/module-path.js';
import { unescapePath } from '../../gomod/escape.js';
import { refuse, secretEquals, sendError, sendJson, sendNotFound, type Refusal } from '../http.js';
import type { ModuleStore } from './backend.js';
import { parseProxyPath, serveProxyRequest } from './read-api.js';
import { handleUpload } from './upload.js';

/**
 * Athens' "external" storage type (StorageType = "external", ExternalStorageURL = <url>):
 * Athens reads with GET <url>/<escaped module>/@v/list|<v>.info|.mod|.zip, stores with
 * POST …/<v>.save (multipart files mod.info, mod.mod, mod.zip; it expects 200) and removes
 * with DELETE …/<v>.delete. The version in those URLs is NOT escaped (only the module is).
 *
 * Athens' client sends no credentials, so the routes live under a secret path:
 * ExternalStorageURL = http://uploader/athens/<secret>. The secret comes from
 * --external-storage-secret-file and is compared in constant time; a request that does not
 * carry it never reaches storage (403 for .save/.delete, 404 otherwise), and the secret is
 * never logged (`redactExternalPath`). Writes are validated exactly like POST /upload.
 */
export const EXTERNAL_MOUNT = '/athens/';

export interface ExternalOptions {
  store: ModuleStore;
  secret: string;
  maxZipBytes?: number;
  log?: (line: string) => void;
}

export type ExternalRoute =
  | { op: 'save' | 'delete'; module: string; version: string }
  | { op: 'read'; request: NonNullable<ReturnType<typeof parseProxyPath>> };

/** A version as Athens sends it (raw) or as go does (!-escaped). */
function version(text: string): string | null {
  const v = /[A-Z]/.test(text) ? text : unescapePath(text);
  return v && isValidSemver(v) && canonicalSemver(v) === v ? v : null;
}

/** Pure: the route for the part of the path after the secret. */
export function parseExternalPath(rest: string): ExternalRoute | null {
  let path: string;
  try {
    path = decodeURIComponent(rest);
  } catch {
    return null;
  }
  const m = /^\/+(.+)\/@v\/([^/]+)\.(save|delete|info|mod|zip)$/.exec(path);
  if (m) {
    const module = unescapePath(m[1]!);
    const v = version(m[2]!);
    if (!module || checkModulePath(module) || !v) return null;
    const op = m[3]!;
    if (op === 'save' || op === 'delete') return { op, module, version: v };
    return { op: 'read', request: { module, kind: op as 'info' | 'mod' | 'zip', version: v } };
  }
  const request = parseProxyPath(path);
  return request ? { op: 'read', request } : null;
}

/** Is this request for the external-storage API (whether or not it carries the secret)? */
export function isExternalRequest(path: string, method: string | undefined): boolean {
  return path.startsWith(EXTERNAL_MOUNT) || (method === 'POST' && path.endsWith('.save')) || (method === 'DELETE' && path.endsWith('.delete'));
}

/** The path with the secret segment replaced, for logs. */
export function redactExternalPath(path: string): string {
  if (!path.startsWith(EXTERNAL_MOUNT)) return path;
  const rest = path.slice(EXTERNAL_MOUNT.length);
  const i = rest.indexOf('/');
  return `${EXTERNAL_MOUNT}<secret>${i < 0 ? '' : rest.slice(i)}`;
}

/** The part of the path after a correct secret, or null. */
function authenticated(path: string, secret: string): string | null {
  if (!path.startsWith(EXTERNAL_MOUNT)) return null;
  const after = path.slice(EXTERNAL_MOUNT.length);
  const i = after.indexOf('/');
  const given = i < 0 ? after : after.slice(0, i);
  return secretEquals(given, secret) ? (i < 0 ? '/' : after.slice(i)) : null;
}

const NO_SECRET: Refusal = {
  status: 403,
  error: 'Athens external storage writes need the secret path',
  detail: 'set ExternalStorageURL to http://<uploader>/athens/<secret> (the secret from --external-storage-secret-file)',
};

/** At header time: a write without the secret is refused before any body byte is read. */
export function externalPreflight(req: IncomingMessage, path: string, secret: string): Refusal | null {
  const writing = req.method === 'POST' || req.method === 'DELETE';
  if (writing && authenticated(path, secret) === null) return NO_SECRET;
  return null;
}

export async function handleExternal(req: IncomingMessage, res: ServerResponse, path: string, o: ExternalOptions): Promise<void> {
  const writing = req.method === 'POST' || req.method === 'DELETE';
  const rest = authenticated(path, o.secret);
  if (rest === null) {
    if (writing) return refuse(req, res, NO_SECRET);
    return sendNotFound(res, 'not found');
  }
  const route = parseExternalPath(rest);
  if (!route) {
    if (writing) return refuse(req, res, { status: 404, error: `not found: ${redactExternalPath(path)}` });
    return sendNotFound(res, `not found: ${redactExternalPath(path)}`);
  }
  if (route.op === 'read') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'use GET for reads');
    return serveProxyRequest(req, res, o.store, route.request);
  }
  if (route.op === 'save') {
    if (req.method !== 'POST') return sendError(res, 405, 'use POST for .save');
    return handleUpload(req, res, { storage: o.store, maxZipBytes: o.maxZipBytes, log: o.log, athensSave: { module: route.module, version: route.version } });
  }
  if (req.method !== 'DELETE') return sendError(res, 405, 'use DELETE for .delete');
  const removed = await o.store.remove(route.module, route.version);
  o.log?.(`athens delete ${route.module}@${route.version}: ${removed ? 'removed' : 'not present'}`);
  if (!removed) return sendNotFound(res, `${route.module}@${route.version} is not stored`);
  return sendJson(res, 200, { module: route.module, version: route.version, removed: true });
}
