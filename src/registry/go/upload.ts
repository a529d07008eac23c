import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { parseGoModLax } from '../../gomod/modfile.js';
import { parseInfo } from '../../gomod/info.js';
import { MAX_GO_MOD, MAX_ZIP_FILE } from '../../gomod/limits.js';
import { checkStorable, MAX_INFO } from './upload-limits.js';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { checkModulePath, checkPathMajor } from '../../gomod/module-path.js';
import { bearerToken, refuse, secretEquals, sendFailure, sendJson, type Refusal } from '../http.js';
import type { StoreResult, VersionFiles } from './storage.js';
import { inspectModuleZip, ZipRejection, type Speculated } from '../../gomod/zip-check.js';
import { ZipStreamScanner } from './zip-stream.js';
import { failpoint } from '../../util/failpoint.js';
import { noteRequest } from '../log.js';
import { HttpFailure } from '../errors.js';
import { receiveMultipart } from '../multipart.js';
import { BackgroundFlush } from '../../util/atomic.js';
import { FileWriter } from '../../util/file-writer.js';

/**
 * POST /upload (docs/architecture.md §7.1). The zip streams to a staging file on the storage filesystem
 * while it is hashed; nothing is validated from declared sizes, nothing is visible until
 * GoStorage.store commits it. Statuses: 201 new · 200 identical re-upload · 400 invalid ·
 * 401 auth · 409 same version, other bytes · 413 over a limit.
 */
/** What the handler needs from storage: GoStorage and every ModuleStore (backend.ts) have it. */
export interface UploadStore {
  /** A local storage root, scrubbed from messages sent to clients (disk only). */
  readonly root?: string;
  /** store() commits the staged zip file itself (by rename), so it is worth flushing early. */
  readonly keepsStagedZip?: boolean;
  newStaging(): Promise<string>;
  store(module: string, version: string, files: VersionFiles): Promise<StoreResult>;
}

/** The multipart part names of /upload, and of Athens' external-storage .save. */
const UPLOAD_PARTS = { info: 'info', mod: 'mod', zip: 'zip' } as const;
const ATHENS_SAVE_PARTS = { info: 'mod.info', mod: 'mod.mod', zip: 'mod.zip' } as const;
type PartNames = { info: string; mod: string; zip: string };

export interface UploadOptions {
  storage: UploadStore;
  /**
   * Athens' external storage `POST <module>/@v/<version>.save`: module and version come from
   * the URL, the parts are mod.info/mod.mod/mod.zip, and Athens expects 200 for a new version
   * too. Validation is the same as /upload's.
   */
  athensSave?: { module: string; version: string };
  token?: string;
  maxZipBytes?: number;
  log?: (line: string) => void;
}

/**
 * The normalized `.info` stored and served: exactly Version and Time, Time as go writes it.
 * Accepts what go's proxy client accepts (json.Unmarshal into RevInfo, time.Parse RFC 3339),
 * with the uploaded version and a commit time (see src/gomod/info.ts).
 */
export function normalizeInfo(raw: Buffer, version: string): Buffer {
  const r = parseInfo(raw, version);
  if (!r.ok) throw new HttpFailure(400, r.reason, 'send {"Version":"<version>","Time":"<RFC 3339 commit time, e.g. 2025-11-06T08:27:52Z>"}');
  return Buffer.from(r.normalized);
}

/** The body limit implied by the zip limit: zip + go.mod + .info + multipart overhead. */
const maxBodyFor = (maxZip: number) => maxZip + MAX_GO_MOD + MAX_INFO + (1 << 20);

/**
 * What can be refused from the headers alone, before a body byte is read: a missing or wrong
 * bearer token (401), a declared Content-Length over the limit (413), a body that is not
 * multipart (400). The server calls it at header time (and for `Expect: 100-continue`).
 */
export function uploadPreflight(req: IncomingMessage, opts: UploadOptions): Refusal | null {
  if (opts.token !== undefined) {
    const given = bearerToken(req);
    if (given === null || !secretEquals(given, opts.token)) return { status: 401, error: 'unauthorized', detail: 'send Authorization: Bearer <token>' };
  }
  const maxZip = opts.maxZipBytes ?? MAX_ZIP_FILE;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBodyFor(maxZip)) {
    return { status: 413, error: `request body of ${declared} bytes is over the limit`, detail: `module zips may be at most ${maxZip} bytes` };
  }
  if (!/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) return { status: 400, error: 'expected multipart/form-data', detail: 'fields: module, version, info, mod, zip' };
  return null;
}

export async function handleUpload(req: IncomingMessage, res: ServerResponse, opts: UploadOptions): Promise<void> {
  const maxZip = opts.maxZipBytes ?? MAX_ZIP_FILE;
  // Normally already asked by the server at header time; cheap enough to hold here too.
  const refusal = uploadPreflight(req, opts);
  if (refusal) return refuse(req, res, refusal);

  // Staging is removed BEFORE the response is sent, so a client that saw any answer also
  // sees storage in its final state (no temp files still on their way out). A request that
  // ends without a commit (abort, short body, timeout) rejects receiveParts, so its staging
  // goes as soon as the connection does.
  const staging = await opts.storage.newStaging();
  let answer: { status: number; body: Record<string, unknown> } | HttpFailure;
  // Filled as the parts arrive; the finally below waits for what the zip part started.
  const parts: Parts = { fields: {}, files: {} };
  try {
    const names = opts.athensSave ? ATHENS_SAVE_PARTS : UPLOAD_PARTS;
    await receiveParts(req, staging, { maxZip, names, flushEarly: opts.storage.keepsStagedZip === true }, parts);
    if (opts.athensSave) Object.assign(parts.fields, opts.athensSave);
    noteRequest({ module: parts.fields.module, version: parts.fields.version });
    failpoint('upload:received');
    const result = await validateAndStore(parts, opts, maxZip);
    opts.log?.(`upload ${parts.fields.module}@${parts.fields.version}: ${result.status === 201 ? 'stored' : 'identical'} ${result.body.h1}`);
    answer = result;
  } catch (err) {
    if (err instanceof HttpFailure) {
      opts.log?.(`upload rejected (${err.status}): ${err.message}`);
      const root = opts.storage.root ?? '';
      answer = new HttpFailure(err.status, scrub(err.message, root), err.detail && scrub(err.detail, root));
    } else {
      // Internal failures carry file system paths: they go to the log, not to the client.
      opts.log?.(`upload failed: ${(err as Error).stack ?? err}`);
      answer = new HttpFailure(500, 'internal error', 'see the registry log');
    }
  } finally {
    await parts.zip?.flushing;
    await rm(staging, { recursive: true, force: true });
  }
  if (answer instanceof HttpFailure) return sendFailure(req, res, answer);
  sendJson(res, answer.status, answer.body);
}

/** Error texts may quote paths under the storage root; clients see them relative to it. */
function scrub(text: string, root: string): string {
  return root ? text.split(root).join('<storage>') : text;
}

interface Parts {
  fields: Record<string, string>;
  files: Record<string, Buffer>;
  /**
   * speculated: what the scanner recorded while the zip streamed in (zip-stream.ts);
   * flushing: the early disk flush of the staged zip (never rejects).
   */
  zip?: { path: string; size: number; speculated?: Speculated; flushing?: Promise<void> };
}

interface ReceiveOptions {
  maxZip: number;
  names: PartNames;
  /** Flush the staged zip to disk while it arrives (the store keeps that very file). */
  flushEarly: boolean;
}

/**
 * Stream the multipart body into `staging` (multipart.ts does the HTTP side and settles once):
 * the zip to a staging file, read by the one-pass scanner on its way; info and mod into memory.
 */
async function receiveParts(req: IncomingMessage, staging: string, { maxZip, names, flushEarly }: ReceiveOptions, parts: Parts): Promise<void> {
  // Parts named for the other endpoint are just unknown parts here (ignored, never a role).
  const role = (name: string) =>
    name === names.info ? 'info' : name === names.mod ? 'mod' : name === names.zip ? 'zip' : names === UPLOAD_PARTS ? name : `#${name}`;
  await receiveMultipart(req, {
    limits: { fileSize: maxZip, fieldSize: MAX_GO_MOD, fields: 16, files: 4, parts: 20 },
    onField(partName, value, { truncated }) {
      const name = role(partName);
      if (truncated) throw new HttpFailure(413, `field ${name} is over the limit (max ${MAX_GO_MOD} bytes)`);
      if (name === 'mod' || name === 'info') parts.files[name] = Buffer.from(value, 'utf8');
      else parts.fields[name] = value;
    },
    onFile(partName) {
      const name = role(partName);
      if (name === 'zip') {
        if (parts.zip) throw new HttpFailure(400, 'more than one zip part');
        const path = join(staging, 'upload.zip');
        parts.zip = { path, size: 0 };
        return { maxBytes: maxZip, tooLarge: `zip is over the limit of ${maxZip} bytes`, consume: (part) => receiveZip(part, path, parts, maxZip, flushEarly) };
      }
      if (name !== 'mod' && name !== 'info') return null;
      // busboy's per-file limit (maxZip) can be the smaller one.
      const cap = Math.min(name === 'mod' ? MAX_GO_MOD : MAX_INFO, maxZip);
      return {
        maxBytes: cap,
        tooLarge: `${name} is over the limit of ${cap} bytes`,
        consume: (part) => collect(part).then((bytes) => void (parts.files[name] = bytes)),
      };
    },
  });
}

/**
 * Staged zip bytes between background flushes: the disk writes them back while the upload
 * streams in, so the store's fsync (storage.ts) does not wait for the whole zip at the end.
 */
const FLUSH_EVERY = 32 << 20;

/**
 * The zip goes to its staging file, and the scanner (zip-stream.ts) reads it back as it grows;
 * the go.mod content is kept when module and version came before the zip, as clients send them.
 */
async function receiveZip(part: Readable, path: string, parts: Parts, maxZip: number, flushEarly: boolean): Promise<void> {
  const scanner = new ZipStreamScanner({
    path,
    keepName: Buffer.from(`${parts.fields.module ?? ''}@${parts.fields.version ?? ''}/go.mod`, 'utf8'),
    keepLimit: MAX_GO_MOD,
    maxUncompressed: maxZip,
  });
  let size = 0;
  const flusher = flushEarly ? new BackgroundFlush(path, FLUSH_EVERY) : null;
  // The scanner reads back what the writer reports written.
  const writer = new FileWriter(path, (total) => {
    flusher?.wrote(total - size);
    size = total;
    scanner.written(total);
  });
  try {
    await pipeline(part, writer);
    // The rest is flushed while the scanner finishes and Go's checks run.
    const flushing = flusher?.flush();
    parts.zip = { path, size, flushing };
    parts.zip.speculated = await scanner.finish();
  } finally {
    scanner.abort();
    // A failed upload still lets its last write and a background fsync in flight finish
    // before staging goes (pipeline rejects without waiting for the writer to close).
    if (parts.zip) parts.zip.flushing ??= closed(writer).then(() => flusher?.settle());
  }
}

/** Resolves once `stream` has closed (its file handle with it); never rejects. */
function closed(stream: Writable): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

/** A small part's bytes in memory (its size is capped by the receiver). */
function collect(part: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    part.on('data', (c: Buffer) => chunks.push(c));
    part.on('end', () => resolve(Buffer.concat(chunks)));
    part.on('error', reject);
    part.on('close', () => reject(new Error('the part ended early')));
  });
}

async function validateAndStore(parts: Parts, opts: UploadOptions, maxZip: number): Promise<{ status: 200 | 201; body: Record<string, unknown> }> {
  const missing = ['module', 'version'].filter((f) => !parts.fields[f]);
  for (const f of ['info', 'mod'] as const) if (!parts.files[f]) missing.push(f);
  if (!parts.zip) missing.push('zip');
  if (missing.length) throw new HttpFailure(400, `missing multipart field(s): ${missing.join(', ')}`, 'fields: module, version, info, mod, zip');
  const module = parts.fields.module!;
  const version = parts.fields.version!;
  // module.Check + canonical form: exactly what go asks a proxy for.
  const badPath = checkModulePath(module);
  if (badPath) throw new HttpFailure(400, `invalid module path ${JSON.stringify(module)}: ${badPath}`);
  if (!isValidSemver(version) || canonicalSemver(version) !== version) {
    throw new HttpFailure(400, `version ${JSON.stringify(version)} is not a canonical Go version (vX.Y.Z[-pre][+incompatible])`);
  }
  const badMajor = checkPathMajor(version, module);
  if (badMajor) throw new HttpFailure(400, badMajor);
  const unstorable = checkStorable(module, version);
  if (unstorable) throw new HttpFailure(400, `module path or version too long to store: ${unstorable}`, 'use shorter path elements or prerelease identifiers');
  const info = normalizeInfo(parts.files.info!, version);
  const mod = parts.files.mod!;
  // A dependency's go.mod as go reads it: modfile.ParseLax (one module line, valid syntax, …).
  const parsedMod = parseGoModLax(mod.toString('utf8'));
  if (!parsedMod.ok) throw new HttpFailure(400, `go.mod is not one go can read: ${parsedMod.error}`);
  if (parsedMod.module !== module) {
    throw new HttpFailure(400, `go.mod says module ${JSON.stringify(parsedMod.module ?? '')}, upload is for ${module}`);
  }

  let inspected;
  try {
    inspected = await inspectModuleZip(parts.zip!.path, module, version, maxZip, parts.zip!.speculated);
  } catch (err) {
    if (err instanceof ZipRejection) throw new HttpFailure(err.tooLarge ? 413 : 400, err.message);
    throw err;
  }
  if (inspected.goMod && !inspected.goMod.equals(mod)) {
    throw new HttpFailure(400, "the zip's go.mod differs from the mod field", 'upload the go.mod bytes that are inside the zip');
  }
  const stored = await opts.storage.store(module, version, { info, mod, zipPath: parts.zip!.path });
  if (stored.status === 'invalid') throw new HttpFailure(400, stored.reason, stored.detail);
  if (stored.status === 'conflict') throw new HttpFailure(409, stored.reason, stored.detail ?? 'versions are immutable: publish a new version');
  return {
    status: stored.status === 'created' && !opts.athensSave ? 201 : 200,
    body: { module, version, h1: inspected.h1, files: inspected.files, size: parts.zip!.size, stored: stored.status === 'created' },
  };
}
