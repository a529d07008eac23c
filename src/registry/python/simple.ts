import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidProjectName, normalizeProjectName } from '../../pypa/index.js';
import { sendFile, sendNotFound } from '../http.js';
import { noteRequest } from '../log.js';
import type { FileMeta, PythonStorage } from './storage.js';

/**
 * The read side: PEP 503 HTML and PEP 691 JSON (chosen by Accept or ?format=) at /simple/ and
 * /simple/<normalized>/, files at /packages/<normalized>/<filename>. HEAD answers exactly like
 * GET, headers and Content-Length included, without the body. A name that cannot exist
 * (undecodable, not a PEP 508 name) is simply not found.
 */
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function wantsJson(req: IncomingMessage, url: URL): boolean {
  if (url.searchParams.get('format') === JSON_TYPE) return true;
  const accept = req.headers.accept ?? '';
  const json = accept.indexOf(JSON_TYPE);
  const html = Math.max(accept.indexOf(HTML_TYPE), accept.indexOf('text/html'));
  return json >= 0 && (html < 0 || json < html);
}

/** One body for GET and HEAD alike; Node leaves the body out of a HEAD answer. */
function sendPage(res: ServerResponse, type: string, body: string): void {
  const data = Buffer.from(body);
  res.writeHead(200, { 'content-type': type, 'content-length': data.length, vary: 'Accept' });
  res.end(data);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, { location, 'content-length': 0 });
  res.end();
}

async function simpleIndex(req: IncomingMessage, res: ServerResponse, url: URL, storage: PythonStorage): Promise<void> {
  const names = await storage.projects();
  if (wantsJson(req, url)) {
    return sendPage(res, JSON_TYPE, JSON.stringify({ meta: { 'api-version': '1.0' }, projects: names.map((name) => ({ name })) }));
  }
  const links = names.map((n) => `    <a href="${escapeHtml(n)}/">${escapeHtml(n)}</a><br/>`).join('\n');
  sendPage(res, 'text/html; charset=utf-8', `<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head>\n  <body>\n${links}\n  </body>\n</html>\n`);
}

async function projectPage(req: IncomingMessage, res: ServerResponse, url: URL, name: string, storage: PythonStorage): Promise<void> {
  const norm = normalizeProjectName(name);
  if (norm !== name) return redirect(res, `../${norm}/${url.search}`);
  const files = await storage.files(norm);
  if (!files.length) return sendNotFound(res, `no project named ${name}`);
  const href = (f: FileMeta) => `../../packages/${norm}/${encodeURIComponent(f.filename)}`;
  if (wantsJson(req, url)) {
    return sendPage(
      res,
      JSON_TYPE,
      JSON.stringify({
        meta: { 'api-version': '1.0' },
        name: norm,
        files: files.map((f) => ({ filename: f.filename, url: href(f), hashes: { sha256: f.sha256 }, 'requires-python': f.requiresPython ?? null, size: f.size, 'upload-time': f.uploadedAt })),
        versions: [...new Set(files.map((f) => f.version))],
      }),
    );
  }
  const links = files
    .map((f) => {
      const rp = f.requiresPython ? ` data-requires-python="${escapeHtml(f.requiresPython)}"` : '';
      return `    <a href="${href(f)}#sha256=${f.sha256}"${rp}>${escapeHtml(f.filename)}</a><br/>`;
    })
    .join('\n');
  sendPage(res, 'text/html; charset=utf-8', `<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0"><title>Links for ${escapeHtml(norm)}</title></head>\n  <body>\n    <h1>Links for ${escapeHtml(norm)}</h1>\n${links}\n  </body>\n</html>\n`);
}

async function serveFile(req: IncomingMessage, res: ServerResponse, norm: string, filename: string, storage: PythonStorage): Promise<void> {
  const found = normalizeProjectName(norm) === norm ? await storage.committedFile(norm, filename) : null;
  if (!found) return sendNotFound(res, `no file ${filename}`);
  const head = { 'content-type': 'application/octet-stream', 'content-length': found.size };
  if (req.method === 'HEAD') return void res.writeHead(200, head).end();
  const fh = await open(found.path, 'r').catch(() => null);
  if (!fh) return sendNotFound(res, `no file ${filename}`);
  res.writeHead(200, head);
  await sendFile(res, fh, found.size);
}

/** GET/HEAD below the index prefix. */
export async function handleRead(req: IncomingMessage, res: ServerResponse, path: string, storage: PythonStorage): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://index');
  if (path === '/simple' || path === '/') return redirect(res, 'simple/');
  if (path === '/simple/') {
    noteRequest({ served: 'simple' });
    return simpleIndex(req, res, url, storage);
  }
  let m = /^\/simple\/([^/]+)(\/?)$/.exec(path);
  if (m) {
    const name = decode(m[1]!);
    if (name === null || !isValidProjectName(name)) return sendNotFound(res, 'no such project');
    if (!m[2]) return redirect(res, `${m[1]}/`);
    noteRequest({ served: 'simple' });
    return projectPage(req, res, url, name, storage);
  }
  m = /^\/packages\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) {
    const filename = decode(m[2]!);
    if (filename === null) return sendNotFound(res, 'no such file');
    noteRequest({ served: 'file' });
    return serveFile(req, res, m[1]!, filename, storage);
  }
  return sendNotFound(res, `not found: ${path}`);
}
