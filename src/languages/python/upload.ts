import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { normalizeProjectName } from '../../pypa/index.js';
import { failure } from '../../util/errors.js';
import { requestWithRetry, type RetryOptions } from '../../util/http.js';
import type { BuiltDist } from './build.js';

/**
 * Upload over the legacy PyPI API (what twine speaks), streamed, with Basic auth. An existing
 * identical file (same sha256) counts as success; the same name with other bytes is a failure
 * (indexes never reuse file names).
 */
export interface PythonUpload {
  url: string;
  username: string;
  password: string;
  name: string;
  version: string;
  metadata: Record<string, string>;
  /** To check whether an already-present file is identical (PEP 691 JSON or PEP 503 HTML). */
  indexUrl?: string;
  retry?: RetryOptions;
}

export async function sha256OfFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

function field(boundary: string, name: string, value: string): Buffer {
  return Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
}

export async function uploadDist(u: PythonUpload, dist: BuiltDist): Promise<'published' | 'already-present'> {
  const sha256 = await sha256OfFile(dist.path);
  const boundary = `ameide-${randomBytes(12).toString('hex')}`;
  const head = Buffer.concat([
    field(boundary, ':action', 'file_upload'),
    field(boundary, 'protocol_version', '1'),
    field(boundary, 'name', u.name),
    field(boundary, 'version', u.version),
    field(boundary, 'filetype', dist.filetype),
    field(boundary, 'pyversion', dist.pyversion),
    field(boundary, 'metadata_version', u.metadata['metadata-version'] ?? '2.1'),
    field(boundary, 'sha256_digest', sha256),
    ...(u.metadata['summary'] ? [field(boundary, 'summary', u.metadata['summary'])] : []),
    ...(u.metadata['requires-python'] ? [field(boundary, 'requires_python', u.metadata['requires-python'])] : []),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${dist.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
  ]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = (await stat(dist.path)).size;
  const open = (): Readable => {
    const out = new PassThrough();
    out.write(head);
    const f = createReadStream(dist.path);
    f.on('error', (e) => out.destroy(e));
    out.on('close', () => f.destroy());
    f.on('end', () => out.end(tail));
    f.pipe(out, { end: false });
    return out;
  };
  const auth = 'Basic ' + Buffer.from(`${u.username}:${u.password}`).toString('base64');
  let res;
  try {
    res = await requestWithRetry(
      u.url,
      { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length), authorization: auth }, body: open },
      u.retry,
    );
  } catch (err) {
    throw failure(`upload of ${dist.filename} to ${new URL(u.url).origin} failed: ${(err as Error).message}`);
  }
  if (res.status >= 200 && res.status < 300) {
    let doc: { stored?: boolean } = {};
    try {
      doc = JSON.parse(res.text);
    } catch {
      /* other indexes answer with text */
    }
    return doc.stored === false ? 'already-present' : 'published';
  }
  const reason = extractReason(res.text);
  if (res.status === 409 || (res.status === 400 && /exist/i.test(reason))) {
    if (u.indexUrl && (await servedSha256(u.indexUrl, u.name, dist.filename)) === sha256) return 'already-present';
    throw failure(`${dist.filename} already exists on the index with different content (${res.status}: ${reason}); file names are never reused — commit and publish a new snapshot`);
  }
  if (res.status === 401 || res.status === 403) throw failure(`TWINE_USERNAME/TWINE_PASSWORD rejected (${res.status}): the index refused the credentials (${reason})`);
  if (res.status === 413) throw failure(`${dist.filename} is too large for the index (413): ${reason}`);
  throw failure(`index refused ${dist.filename} (${res.status}: ${reason})`);
}

function extractReason(text: string): string {
  try {
    const d = JSON.parse(text) as { error?: string };
    if (d.error) return d.error;
  } catch {
    /* text body */
  }
  return text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** sha256 the index lists for a file, via PEP 691 JSON or the PEP 503 `#sha256=` fragment. */
export async function servedSha256(indexUrl: string, name: string, filename: string): Promise<string | null> {
  const files = await indexFiles(indexUrl, name);
  return files.find((f) => f.filename === filename)?.sha256 ?? null;
}

export async function indexFiles(indexUrl: string, name: string): Promise<{ filename: string; sha256: string; url: string }[]> {
  const { fetch } = await import('undici');
  const norm = normalizeProjectName(name);
  const page = `${indexUrl.replace(/\/+$/, '')}/${norm}/`;
  const res = await fetch(page, { headers: { accept: 'application/vnd.pypi.simple.v1+json, text/html;q=0.1' } });
  const text = await res.text();
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`${page}: HTTP ${res.status}`);
  const type = String(res.headers.get('content-type') ?? '');
  if (type.includes('json')) {
    const doc = JSON.parse(text) as { files: { filename: string; url: string; hashes: { sha256?: string } }[] };
    return doc.files.map((f) => ({ filename: f.filename, sha256: f.hashes.sha256 ?? '', url: new URL(f.url, page).toString() }));
  }
  const out: { filename: string; sha256: string; url: string }[] = [];
  for (const m of text.matchAll(/<a\s+[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/g)) {
    const href = m[1]!.replace(/&amp;/g, '&');
    const sha = /#sha256=([0-9a-f]{64})/.exec(href)?.[1] ?? '';
    out.push({ filename: m[2]!.trim(), sha256: sha, url: new URL(href.split('#')[0]!, page).toString() });
  }
  return out;
}
