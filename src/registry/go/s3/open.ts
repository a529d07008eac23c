import { randomBytes } from 'node:crypto';
import { CliError, EXIT, usageError } from '../../../util/errors.js';
import { S3Objects, status } from './objects.js';
import { S3ModuleStore, type S3StoreOptions } from './store.js';

/**
 * Connect an s3:// store. The AWS SDK is imported here and nowhere else, so commands that do
 * not use S3 never load it. Endpoint, region and credentials come from the SDK's standard
 * chain (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, web identity, ~/.aws); nothing S3-specific is read from our flags
 * except path-style addressing.
 */
export interface OpenS3Options {
  bucket: string;
  prefix: string;
  pathStyle: boolean;
  singleWriter: boolean;
  log?: (line: string) => void;
  /** Tests: orphan grace period and staging root (see store.ts). */
  store?: Partial<S3StoreOptions>;
}

export async function loadSdk() {
  // The SDK warns on every Node < 22 start-up that future releases will need Node 22; the
  // pinned release supports Node 20, and the warning must not reach the CLI's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [sdk, { Upload }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  return { sdk, Upload };
}

export async function s3Objects(bucket: string, pathStyle: boolean): Promise<S3Objects> {
  const { sdk, Upload } = await loadSdk();
  const client = new sdk.S3Client({
    forcePathStyle: pathStyle,
    // Flexible checksums (CRC32 trailers) are not understood by every S3-compatible server;
    // integrity is ours anyway: every object carries the sha256 the store checks.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's default logger falls back to console for some warnings (e.g. a 412 on a
    // streamed body); a conditional write losing is an expected answer, not news for stderr.
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  return new S3Objects(sdk, Upload, client, bucket);
}

/** Does the endpoint refuse a second create of one key with If-None-Match: *? */
export async function probeConditionalWrites(o: S3Objects, prefix: string): Promise<boolean> {
  const key = `${prefix}.ameide-pkg/probe/${randomBytes(8).toString('hex')}`;
  try {
    const first = await o.put(key, { buffer: Buffer.from('1') }, {}, true, 'text/plain');
    const second = await o.put(key, { buffer: Buffer.from('2') }, {}, true, 'text/plain');
    return first && !second;
  } catch (err) {
    // 501 NotImplemented / 400 on an unknown header: the endpoint does not support it.
    if ([400, 501].includes(status(err) ?? 0)) return false;
    throw err;
  } finally {
    await o.delete(key).catch(() => {});
  }
}

export async function openS3ModuleStore(opts: OpenS3Options): Promise<S3ModuleStore> {
  const o = await s3Objects(opts.bucket, opts.pathStyle);
  let conditional: boolean;
  try {
    conditional = await probeConditionalWrites(o, opts.prefix);
  } catch (err) {
    throw new CliError(`s3://${opts.bucket}: ${describeS3Error(err)}`, EXIT.failure);
  }
  if (!conditional && !opts.singleWriter) {
    throw usageError(
      `s3://${opts.bucket}: the endpoint ignores conditional writes (If-None-Match: *), so replicas could overwrite each other's versions; run ONE writer with --s3-single-writer, or use an endpoint that supports them (AWS S3, recent MinIO)`,
    );
  }
  if (!conditional) opts.log?.(`s3://${opts.bucket}: no conditional writes; single-writer mode`);
  const store = new S3ModuleStore(o, { prefix: opts.prefix, conditional, log: opts.log, ...opts.store });
  return store;
}

/** One line for the usual causes, without credentials. */
export function describeS3Error(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  const st = status(err);
  if (e.name === 'NoSuchBucket' || (st === 404 && /bucket/i.test(e.message ?? ''))) return 'the bucket does not exist (create it first)';
  if (st === 403 || e.name === 'AccessDenied' || e.name === 'InvalidAccessKeyId' || e.name === 'SignatureDoesNotMatch') {
    return 'access denied: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the role) and the bucket policy';
  }
  if (/region/i.test(e.message ?? '') && /missing/i.test(e.message ?? '')) return 'no region configured: set AWS_REGION';
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || /ECONNREFUSED|ENOTFOUND/.test(e.message ?? '')) {
    return `cannot reach the S3 endpoint (${e.message}); set AWS_ENDPOINT_URL_S3 for a non-AWS endpoint`;
  }
  return `${e.name ?? 'error'}: ${e.message ?? String(err)}`;
}
