import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';

/**
 * The handful of object operations the S3 module store is built from, over one bucket.
 * Only this file and ./open.ts touch the AWS SDK (loaded lazily by open.ts), so the protocol
 * in ./store.ts reads as the protocol. Metadata keys are lower-case (S3 lower-cases them).
 */
export type Meta = Record<string, string>;

export interface Head {
  size: number;
  meta: Meta;
  lastModified: number;
}

export interface Listed {
  key: string;
  size: number;
  lastModified: number;
}

export type Body = { buffer: Buffer } | { file: string };

/**
 * Bodies below BUFFER_MAX are sent from memory (the SDK can retry those); up to MULTIPART_MIN
 * as one streamed PutObject (constant memory; measured 2x faster than lib-storage's parallel
 * multipart against moto, and a 500 MiB zip is far below S3's 5 GB single-PUT limit); only
 * larger ones (a raised --max-zip-bytes) as a multipart upload, whose completion carries the
 * same If-None-Match.
 */
const BUFFER_MAX = 16 << 20;
export const MULTIPART_MIN = 1 << 30;
// 5 MiB is S3's smallest part: 4 in flight keep the upload parallel within the RSS budget.
const PART_SIZE = 5 << 20;
const QUEUE = 4;

export class S3Objects {
  constructor(
    private readonly sdk: typeof S3,
    private readonly Upload: typeof import('@aws-sdk/lib-storage').Upload,
    readonly client: S3.S3Client,
    readonly bucket: string,
  ) {}

  async head(key: string): Promise<Head | null> {
    try {
      const r = await this.client.send(new this.sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: r.ContentLength ?? 0, meta: r.Metadata ?? {}, lastModified: r.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async get(key: string): Promise<{ size: number; meta: Meta; body: Readable } | null> {
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: r.ContentLength ?? 0, meta: r.Metadata ?? {}, body: r.Body as Readable };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async getBuffer(key: string): Promise<{ data: Buffer; meta: Meta } | null> {
    const r = await this.get(key);
    if (!r) return null;
    const chunks: Buffer[] = [];
    for await (const c of r.body) chunks.push(c as Buffer);
    return { data: Buffer.concat(chunks), meta: r.meta };
  }

  /**
   * PUT; with `ifAbsent`, only when no object has the key (If-None-Match: *): false when one
   * exists. Large files go as a multipart upload whose completion carries the same condition.
   */
  async put(key: string, body: Body, meta: Meta, ifAbsent: boolean, contentType: string): Promise<boolean> {
    const cond = ifAbsent ? { IfNoneMatch: '*' } : {};
    for (let attempt = 0; ; attempt++) {
      try {
        if ('buffer' in body) {
          await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body.buffer, Metadata: meta, ContentType: contentType, ...cond }));
        } else {
          const size = (await stat(body.file)).size;
          if (size < BUFFER_MAX) {
            const data = await readFile(body.file);
            await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, Metadata: meta, ContentType: contentType, ...cond }));
          } else if (size < MULTIPART_MIN) {
            const stream = createReadStream(body.file, { highWaterMark: 1 << 20 });
            await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: stream, ContentLength: size, Metadata: meta, ContentType: contentType, ...cond }));
          } else {
            const up = new this.Upload({
              client: this.client,
              params: { Bucket: this.bucket, Key: key, Body: createReadStream(body.file, { highWaterMark: 1 << 20 }), ContentLength: size, Metadata: meta, ContentType: contentType, ...cond },
              partSize: PART_SIZE,
              queueSize: QUEUE,
              leavePartsOnError: false,
            });
            await up.done();
          }
        }
        return true;
      } catch (err) {
        if (ifAbsent && status(err) === 412) return false;
        // 409 ConditionalRequestConflict: another conditional write to the key is in flight.
        if (ifAbsent && status(err) === 409 && attempt < 5) {
          await sleep(50 * (attempt + 1));
          continue;
        }
        throw err;
      }
    }
  }

  async copy(from: string, to: string): Promise<void> {
    await this.client.send(new this.sdk.CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${encodeKey(from)}` }));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** Every key under `prefix`, page by page (ListObjectsV2, 1000 a page). */
  async *list(prefix: string): AsyncGenerator<Listed> {
    let token: string | undefined;
    do {
      const r = await this.client.send(new this.sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }
}

/** CopySource is a URL path: encode each segment, keep the slashes. */
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return status(err) === 404 || name === 'NotFound' || name === 'NoSuchKey';
}
