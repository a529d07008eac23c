import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { failure } from '../../util/errors.js';
import { requestWithRetry, type RetryOptions } from '../../util/http.js';

/**
 * Client for the uploader's POST /upload (docs/architecture.md §7.1). The multipart body is assembled as a
 * stream with an exact Content-Length: the zip is read from disk as it is sent, never held
 * in memory. 201 and 200 (identical, already stored) are success; 409 is a clear failure.
 */
export interface ModuleUpload {
  module: string;
  version: string;
  info: Buffer;
  mod: Buffer;
  zipPath: string;
}

export interface UploadResult {
  status: 201 | 200;
  h1?: string;
}

function part(boundary: string, name: string, filename?: string, type?: string): Buffer {
  const disp = `Content-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`;
  return Buffer.from(`--${boundary}\r\n${disp}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`);
}

export async function multipartBody(u: ModuleUpload, onProgress?: (sent: number, total: number) => void): Promise<{ boundary: string; length: number; open: () => Readable }> {
  const boundary = `ameide-${randomBytes(12).toString('hex')}`;
  const crlf = Buffer.from('\r\n');
  const fields: [string, Buffer][] = [
    ['module', Buffer.from(u.module)],
    ['version', Buffer.from(u.version)],
  ];
  const head = Buffer.concat([
    ...fields.flatMap(([k, v]) => [part(boundary, k), v, crlf]),
    part(boundary, 'info', 'info.json', 'application/json'),
    u.info,
    crlf,
    part(boundary, 'mod', 'go.mod', 'text/plain'),
    u.mod,
    crlf,
    part(boundary, 'zip', 'source.zip', 'application/zip'),
  ]);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const zipSize = (await stat(u.zipPath)).size;
  const length = head.length + zipSize + tail.length;
  const open = () => {
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    let sent = 0;
    out.write(head);
    const zip = createReadStream(u.zipPath, { highWaterMark: 1 << 20 });
    zip.on('data', (c) => {
      sent += c.length;
      onProgress?.(sent, zipSize);
    });
    zip.on('error', (e) => out.destroy(e));
    // The server may answer (401/413) before the body is sent: stop reading the zip then.
    out.on('close', () => zip.destroy());
    zip.on('end', () => out.end(tail));
    zip.pipe(out, { end: false });
    return out;
  };
  return { boundary, length, open };
}

export async function uploadModule(
  registryUrl: string,
  u: ModuleUpload,
  opts: { token?: string; retry?: RetryOptions; onProgress?: (sent: number, total: number) => void } = {},
): Promise<UploadResult> {
  const body = await multipartBody(u, opts.onProgress);
  const url = registryUrl.replace(/\/+$/, '') + '/upload';
  const headers: Record<string, string> = {
    'content-type': `multipart/form-data; boundary=${body.boundary}`,
    'content-length': String(body.length),
  };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res;
  try {
    res = await requestWithRetry(url, { method: 'POST', headers, body: body.open }, opts.retry);
  } catch (err) {
    throw failure(`upload of ${u.module}@${u.version} to ${new URL(url).origin} failed: ${(err as Error).message}`);
  }
  let doc: { error?: string; detail?: string; h1?: string } = {};
  try {
    doc = JSON.parse(res.text);
  } catch {
    /* non-JSON body: reported below */
  }
  if (res.status === 201 || res.status === 200) return { status: res.status, h1: doc.h1 };
  const reason = doc.error ?? res.text.slice(0, 200).trim();
  if (res.status === 409) throw failure(`${u.module}@${u.version} already exists in the registry with different content (409: ${reason}); versions are immutable — commit and publish a new snapshot`);
  if (res.status === 401) {
    throw failure(
      opts.token
        ? `GO_REGISTRY_TOKEN rejected (401): the registry refused the token (${reason}); set it to the token the registry serves with (registry serve --token-file)`
        : `the registry requires a token (401: ${reason}); set GO_REGISTRY_TOKEN`,
    );
  }
  if (res.status === 413) throw failure(`${u.module}@${u.version} is too large for the registry (413): ${reason}${doc.detail ? ` — ${doc.detail}` : ''}; shrink the module or raise the registry's --max-zip-bytes`);
  throw failure(`registry refused ${u.module}@${u.version} (${res.status}: ${reason}${doc.detail ? ` — ${doc.detail}` : ''})`);
}
