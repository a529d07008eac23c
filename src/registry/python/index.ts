import busboy from 'busboy';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { normalizeDistName } from '../../languages/python/version.js';
import { writeFileAtomic, fsyncDir } from '../../util/atomic.js';
import { withFileLock } from '../../util/fslock.js';
import { drain, secretEquals, sendError, sendJson, sendNotFound } from '../http.js';

/**
 * A small Python package index for local use and tests (DESIGN.md §8):
 *  - legacy upload API (what twine speaks): POST / multipart, `:action=file_upload`;
 *  - PEP 503 HTML and PEP 691 JSON at /simple/ and /simple/<normalized>/ (by Accept);
 *  - files at /packages/<normalized>/<filename>.
 * Layout: <root>/<normalized>/<filename> + <filename>.json (sha256, version, upload time),
 * each written temp + fsync + rename, the metadata last (a file is listed once its
 * metadata exists). File names are never reused with other bytes (409).
 */
export interface PythonIndexOptions {
  storage: string;
  username?: string;
  password?: string;
  maxFileBytes?: number;
  log?: (line: string) => void;
}

interface FileMeta {
  filename: string;
  sha256: string;
  version: string;
  filetype: string;
  requiresPython?: string;
  uploadedAt: string;
  size: number;
}

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';
const REQUIRED = [':action', 'protocol_version', 'name', 'version', 'filetype', 'pyversion', 'metadata_version', 'sha256_digest'] as const;

class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `ameide_sdk-0.1.0-py3-none-any.whl` / `ameide_sdk-0.1.0.tar.gz` must belong to `name`. */
export function fileBelongsTo(filename: string, name: string): boolean {
  if (!/^[A-Za-z0-9._+!-]+$/.test(filename) || filename.startsWith('.')) return false;
  if (!/\.(whl|tar\.gz|zip)$/.test(filename)) return false;
  const norm = normalizeDistName(name);
  const dash = filename.endsWith('.whl') ? filename.indexOf('-') : filename.lastIndexOf('-');
  if (dash <= 0) return false;
  return normalizeDistName(filename.slice(0, dash)) === norm;
}

function wantsJson(req: IncomingMessage, url: URL): boolean {
  if (url.searchParams.get('format') === JSON_TYPE) return true;
  const accept = req.headers.accept ?? '';
  const json = accept.indexOf(JSON_TYPE);
  const html = Math.max(accept.indexOf(HTML_TYPE), accept.indexOf('text/html'));
  return json >= 0 && (html < 0 || json < html);
}

export async function createPythonIndex(opts: PythonIndexOptions) {
  const root = opts.storage;
  await mkdir(join(root, '.staging'), { recursive: true });
  const maxFile = opts.maxFileBytes ?? 500 << 20;

  const projectDir = (norm: string) => join(root, norm);

  async function filesOf(norm: string): Promise<FileMeta[]> {
    const names = await readdir(projectDir(norm)).catch(() => [] as string[]);
    const metas: FileMeta[] = [];
    for (const n of names.filter((x) => x.endsWith('.json') && !x.startsWith('.'))) {
      try {
        metas.push(JSON.parse(await readFile(join(projectDir(norm), n), 'utf8')) as FileMeta);
      } catch {
        // a metadata file being replaced is skipped, never half-read
      }
    }
    return metas.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  }

  async function projects(): Promise<string[]> {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    const out: string[] = [];
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && (await filesOf(e.name)).length) out.push(e.name);
    return out.sort();
  }

  function authorized(req: IncomingMessage): boolean {
    if (opts.username === undefined && opts.password === undefined) return true;
    const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    return secretEquals(decoded.slice(0, i), opts.username ?? '') && secretEquals(decoded.slice(i + 1), opts.password ?? '');
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req)) {
      await drain(req, 1 << 20);
      res.setHeader('www-authenticate', 'Basic realm="ameide-pkg"');
      return sendError(res, 401, 'unauthorized', 'send HTTP Basic credentials (TWINE_USERNAME/TWINE_PASSWORD)');
    }
    const staging = join(root, '.staging', `${process.pid}-${randomBytes(6).toString('hex')}`);
    await mkdir(staging, { recursive: true });
    try {
      const { fields, file } = await receive(req, staging);
      const missing = REQUIRED.filter((f) => !fields[f]);
      if (!file) missing.push('content' as never);
      if (missing.length) throw new Reject(400, `missing field(s): ${missing.join(', ')}`);
      if (fields[':action'] !== 'file_upload') throw new Reject(400, `unsupported :action ${fields[':action']}`);
      if (fields.protocol_version !== '1') throw new Reject(400, `unsupported protocol_version ${fields.protocol_version}`);
      if (!['bdist_wheel', 'sdist'].includes(fields.filetype!)) throw new Reject(400, `unsupported filetype ${fields.filetype}`);
      const name = fields.name!;
      if (!/^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name)) throw new Reject(400, `invalid project name ${JSON.stringify(name)}`);
      if (!fileBelongsTo(file!.filename, name)) throw new Reject(400, `file name ${JSON.stringify(file!.filename)} does not belong to project ${name}`);
      const digest = fields.sha256_digest!.toLowerCase();
      if (digest !== file!.sha256) throw new Reject(400, `sha256_digest does not match the uploaded content (got ${digest}, content is ${file!.sha256})`);
      const norm = normalizeDistName(name);
      const meta: FileMeta = {
        filename: file!.filename,
        sha256: file!.sha256,
        version: fields.version!,
        filetype: fields.filetype!,
        requiresPython: fields.requires_python || undefined,
        uploadedAt: new Date().toISOString(),
        size: file!.size,
      };
      const status = await withFileLock(join(root, '.locks', norm), async () => {
        const dir = projectDir(norm);
        const metaPath = join(dir, `${meta.filename}.json`);
        const existing = await readFile(metaPath, 'utf8').then((t) => JSON.parse(t) as FileMeta, () => null);
        if (existing) {
          if (existing.sha256 === meta.sha256) return 200;
          throw new Reject(409, `${meta.filename} already exists with different content (sha256 ${existing.sha256}); file names are never reused`);
        }
        await mkdir(dir, { recursive: true });
        await rename(file!.path, join(dir, meta.filename));
        await fsyncDir(dir);
        await writeFileAtomic(metaPath, JSON.stringify(meta, null, 2) + '\n');
        return 201;
      });
      opts.log?.(`python upload ${meta.filename}: ${status === 200 ? 'identical' : 'stored'}`);
      sendJson(res, 200, { ok: true, filename: meta.filename, sha256: meta.sha256, stored: status === 201 });
    } catch (err) {
      if (err instanceof Reject) {
        if (!req.complete) await drain(req, maxFile + (1 << 20));
        opts.log?.(`python upload rejected (${err.status}): ${err.message}`);
        return sendError(res, err.status, err.message);
      }
      throw err;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  function receive(req: IncomingMessage, staging: string): Promise<{ fields: Record<string, string>; file?: { path: string; filename: string; sha256: string; size: number } }> {
    return new Promise((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { fileSize: maxFile, files: 2, fields: 200 } });
      } catch (err) {
        return reject(new Reject(400, `expected multipart/form-data: ${(err as Error).message}`));
      }
      const fields: Record<string, string> = {};
      let file: { path: string; filename: string; sha256: string; size: number } | undefined;
      let pending: Promise<void> = Promise.resolve();
      let failure: Reject | null = null;
      bb.on('field', (n, v) => {
        // Repeated fields (classifiers…) are irrelevant to storage; keep the first.
        if (!(n in fields)) fields[n] = v;
      });
      bb.on('file', (n, stream, info) => {
        if (n !== 'content' || file) {
          stream.resume();
          return;
        }
        const filename = info.filename ?? '';
        if (!filename || filename.includes('/') || filename.includes('\\') || filename.includes('..')) {
          failure ??= new Reject(400, `invalid file name ${JSON.stringify(filename)}`);
          stream.resume();
          return;
        }
        const path = join(staging, 'content');
        const h = createHash('sha256');
        let size = 0;
        stream.on('limit', () => (failure ??= new Reject(413, `file is over the limit of ${maxFile} bytes`)));
        pending = pipeline(
          stream,
          new Transform({
            transform(c: Buffer, _e, cb) {
              h.update(c);
              size += c.length;
              cb(null, c);
            },
          }),
          createWriteStream(path),
        ).then(() => {
          file = { path, filename, sha256: h.digest('hex'), size };
        });
      });
      bb.on('error', (e) => reject(new Reject(400, `malformed multipart request: ${(e as Error).message}`)));
      bb.on('close', () => pending.then(() => (failure ? reject(failure) : resolve({ fields, file })), reject));
      req.pipe(bb);
    });
  }

  async function simpleIndex(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const names = await projects();
    if (wantsJson(req, url)) {
      const body = JSON.stringify({ meta: { 'api-version': '1.0' }, projects: names.map((name) => ({ name })) });
      res.writeHead(200, { 'content-type': JSON_TYPE, vary: 'Accept' });
      return void res.end(body);
    }
    const links = names.map((n) => `    <a href="${escapeHtml(n)}/">${escapeHtml(n)}</a><br/>`).join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', vary: 'Accept' });
    res.end(`<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>\n  <body>\n${links}\n  </body>\n</html>\n`);
  }

  async function projectPage(req: IncomingMessage, res: ServerResponse, url: URL, name: string): Promise<void> {
    const norm = normalizeDistName(name);
    if (norm !== name) {
      res.writeHead(301, { location: `../${norm}/${url.search}` });
      return void res.end();
    }
    const files = await filesOf(norm);
    if (!files.length) return sendNotFound(res, `no project named ${name}`);
    const href = (f: FileMeta) => `../../packages/${norm}/${encodeURIComponent(f.filename)}`;
    if (wantsJson(req, url)) {
      const body = JSON.stringify({
        meta: { 'api-version': '1.0' },
        name: norm,
        files: files.map((f) => ({ filename: f.filename, url: href(f), hashes: { sha256: f.sha256 }, 'requires-python': f.requiresPython ?? null, size: f.size, 'upload-time': f.uploadedAt })),
        versions: [...new Set(files.map((f) => f.version))],
      });
      res.writeHead(200, { 'content-type': JSON_TYPE, vary: 'Accept' });
      return void res.end(body);
    }
    const links = files
      .map((f) => {
        const rp = f.requiresPython ? ` data-requires-python="${escapeHtml(f.requiresPython)}"` : '';
        return `    <a href="${href(f)}#sha256=${f.sha256}"${rp}>${escapeHtml(f.filename)}</a><br/>`;
      })
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', vary: 'Accept' });
    res.end(`<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Links for ${escapeHtml(norm)}</title></head>\n  <body>\n    <h1>Links for ${escapeHtml(norm)}</h1>\n${links}\n  </body>\n</html>\n`);
  }

  async function serveFile(res: ServerResponse, norm: string, filename: string): Promise<void> {
    if (normalizeDistName(norm) !== norm || filename.includes('/') || filename.startsWith('.') || filename.endsWith('.json')) return sendNotFound(res, 'not found');
    const path = join(projectDir(norm), filename);
    const meta = await stat(join(projectDir(norm), `${filename}.json`)).catch(() => null);
    const st = await stat(path).catch(() => null);
    if (!meta || !st) return sendNotFound(res, `no file ${filename}`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
    await pipeline(createReadStream(path), res).catch(() => res.destroy());
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://index');
      if (req.method === 'POST' && (path === '/' || path === '/legacy/' || path === '/legacy')) return upload(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method not allowed');
      if (path === '/simple' || path === '/') {
        res.writeHead(301, { location: 'simple/' });
        return void res.end();
      }
      if (path === '/simple/') return simpleIndex(req, res, url);
      let m = /^\/simple\/([^/]+)\/?$/.exec(path);
      if (m) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { location: `${m[1]}/` });
          return void res.end();
        }
        return projectPage(req, res, url, decodeURIComponent(m[1]!));
      }
      m = /^\/packages\/([^/]+)\/([^/]+)$/.exec(path);
      if (m) return serveFile(res, m[1]!, decodeURIComponent(m[2]!));
      return sendNotFound(res, `not found: ${path}`);
    },
  };
}
