import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isValidProjectName, normalizePep440, normalizeProjectName } from '../../pypa/index.js';
import { failpoint } from '../../util/failpoint.js';
import { HttpFailure } from '../errors.js';
import { refuse, secretEquals, sendFailure, sendJson, type Refusal } from '../http.js';
import { noteRequest } from '../log.js';
import { receiveMultipart } from '../multipart.js';
import { checkUploadFilename, type Filetype } from './filename.js';
import type { FileMeta, PythonStorage } from './storage.js';

/**
 * The legacy upload API twine speaks: POST multipart/form-data with `:action=file_upload`,
 * `protocol_version=1`, `name`, `version`, `filetype`, `pyversion`, `metadata_version`,
 * `sha256_digest` and the file as `content`. Answers: 200 stored (`stored: true`) or identical
 * re-upload (`stored: false`) · 400 invalid · 401 credentials · 409 same file name, other
 * bytes · 413 over the size limit. Credentials and a declared size over the limit are judged
 * from the request head alone (`preflightUpload`), before any of the body is read.
 */
export interface UploadConfig {
  storage: PythonStorage;
  username?: string;
  password?: string;
  maxFileBytes: number;
  log?: (line: string) => void;
}

const REQUIRED = [':action', 'protocol_version', 'name', 'version', 'filetype', 'pyversion', 'metadata_version', 'sha256_digest'] as const;
/** Form fields besides the file: metadata, description, classifiers… */
const FIELDS_ALLOWANCE = 1 << 20;

export const isUploadRoute = (method: string | undefined, path: string) => method === 'POST' && (path === '/' || path === '/legacy' || path === '/legacy/');

function credentialsOk(req: IncomingMessage, c: UploadConfig): boolean {
  if (c.username === undefined && c.password === undefined) return true;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return false;
  return secretEquals(decoded.slice(0, i), c.username ?? '') && secretEquals(decoded.slice(i + 1), c.password ?? '');
}

/** What can be refused from the request head: wrong credentials, a declared body over the limit. */
export function preflightUpload(req: IncomingMessage, c: UploadConfig): Refusal | null {
  if (!credentialsOk(req, c)) {
    return { status: 401, error: 'unauthorized', detail: 'send HTTP Basic credentials (TWINE_USERNAME/TWINE_PASSWORD)', headers: { 'www-authenticate': 'Basic realm="ameide-pkg"' } };
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > c.maxFileBytes + FIELDS_ALLOWANCE) {
    return { status: 413, error: `request body of ${declared} bytes is over the limit`, detail: `files may be at most ${c.maxFileBytes} bytes` };
  }
  return null;
}

export async function handleUpload(req: IncomingMessage, res: ServerResponse, c: UploadConfig): Promise<void> {
  const refusal = preflightUpload(req, c);
  if (refusal) {
    c.log?.(`python upload refused (${refusal.status}): ${refusal.error}`);
    return refuse(req, res, refusal);
  }
  // Staging is removed BEFORE the answer, so a client that saw any answer also sees storage
  // in its final state.
  const staging = await c.storage.newStaging();
  let outcome: { ok: true; status: 'created' | 'identical'; meta: FileMeta } | { ok: false; failure: HttpFailure };
  try {
    outcome = { ok: true, ...(await receiveAndStore(req, staging, c)) };
  } catch (err) {
    if (!(err instanceof HttpFailure)) throw err;
    outcome = { ok: false, failure: err };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (outcome.ok) {
    const { status, meta } = outcome;
    noteRequest({ result: status === 'created' ? 'stored' : 'identical' });
    c.log?.(`python upload ${meta.filename}: ${status === 'created' ? 'stored' : 'identical'}`);
    return sendJson(res, 200, { ok: true, filename: meta.filename, sha256: meta.sha256, stored: status === 'created' });
  }
  const f = outcome.failure;
  c.log?.(`python upload rejected (${f.status}): ${f.message}`);
  // twine prints the HTTP reason phrase, not the body: as PyPI does, the reason carries the
  // message. Only visible ASCII fits a status line.
  res.statusMessage = f.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
  return sendFailure(req, res, f);
}

async function receiveAndStore(req: IncomingMessage, staging: string, c: UploadConfig): Promise<{ status: 'created' | 'identical'; meta: FileMeta }> {
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) throw new HttpFailure(400, 'expected multipart/form-data (the legacy upload API twine speaks)');
  const { fields, file } = await receive(req, staging, c.maxFileBytes);
  noteRequest({ module: fields.name, version: fields.version });
  failpoint('python:received');
  const missing: string[] = REQUIRED.filter((f) => !fields[f]);
  if (!file) missing.push('content');
  if (missing.length) throw new HttpFailure(400, `missing field(s): ${missing.join(', ')}`);
  if (fields[':action'] !== 'file_upload') throw new HttpFailure(400, `unsupported :action ${JSON.stringify(fields[':action'])} (only file_upload)`);
  if (fields.protocol_version !== '1') throw new HttpFailure(400, `unsupported protocol_version ${JSON.stringify(fields.protocol_version)} (only 1)`);
  const filetype = fields.filetype!;
  if (filetype !== 'bdist_wheel' && filetype !== 'sdist') throw new HttpFailure(400, `unsupported filetype ${JSON.stringify(filetype)} (bdist_wheel or sdist)`);
  const name = fields.name!;
  if (!isValidProjectName(name)) throw new HttpFailure(400, `invalid project name ${JSON.stringify(name)}`);
  const wrongName = checkUploadFilename(file!.filename, { project: name, version: fields.version!, filetype: filetype as Filetype });
  if (wrongName) throw new HttpFailure(400, wrongName);
  const digest = fields.sha256_digest!.toLowerCase();
  if (digest !== file!.sha256) throw new HttpFailure(400, `sha256_digest does not match the uploaded content (got ${digest}, content is ${file!.sha256})`);
  const meta: FileMeta = {
    filename: file!.filename,
    sha256: file!.sha256,
    version: normalizePep440(fields.version!.trim())!,
    filetype,
    requiresPython: fields.requires_python || undefined,
    uploadedAt: new Date().toISOString(),
    size: file!.size,
  };
  const r = await c.storage.store(normalizeProjectName(name), meta, file!.path);
  if (r.status === 'conflict') throw new HttpFailure(409, `${meta.filename} already exists with different content (sha256 ${r.existing.sha256}); file names are never reused`);
  return { status: r.status, meta };
}

interface Received {
  fields: Record<string, string>;
  file?: { path: string; filename: string; sha256: string; size: number };
}

/** Stream the form: fields into memory (the first of repeated ones), `content` into `<staging>/content` while hashing it. */
async function receive(req: IncomingMessage, staging: string, maxFile: number): Promise<Received> {
  const fields: Record<string, string> = {};
  let file: Received['file'];
  let seen = false;
  await receiveMultipart(req, {
    // Twine may send a second file (gpg_signature), which is not stored.
    limits: { fileSize: maxFile, files: 2, fields: 1000, fieldSize: FIELDS_ALLOWANCE },
    onField(n, v) {
      // Repeated fields (classifiers…) do not matter for storage; keep the first.
      if (!(n in fields)) fields[n] = v;
    },
    onFile(n, { filename }) {
      if (n !== 'content' || seen) return null;
      seen = true;
      if (!filename) throw new HttpFailure(400, 'the content part has no file name');
      const path = join(staging, 'content');
      return {
        maxBytes: maxFile,
        tooLarge: `file is over the limit of ${maxFile} bytes`,
        async consume(part) {
          const h = createHash('sha256');
          let size = 0;
          const hashing = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              h.update(chunk);
              size += chunk.length;
              cb(null, chunk);
            },
          });
          await pipeline(part, hashing, createWriteStream(path));
          file = { path, filename, sha256: h.digest('hex'), size };
        },
      };
    },
  });
  return { fields, file };
}
