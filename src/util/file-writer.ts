import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Bytes that may queue up behind a write in progress, then go to the file as one writev. */
const BATCH = 1 << 20;

/**
 * A Writable onto a new file (created exclusively, as staging files are). What queues up while
 * a write is in progress goes to the file as one writev: a few large writes instead of one per
 * network chunk, each of which is a round trip to the thread pool and a wake-up of a pool
 * thread that, on a small machine, takes the core from the thread that is receiving.
 * After each write it reports how many bytes are in the file, for readers that follow the
 * file as it grows (the upload's zip scanner).
 */
export class FileWriter extends Writable {
  private fh: FileHandle | null = null;
  private total = 0;

  constructor(
    private readonly path: string,
    private readonly onWritten: (total: number) => void = () => undefined,
  ) {
    super({ highWaterMark: BATCH });
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.path, 'wx').then((fh) => {
      this.fh = fh;
      cb();
    }, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.put([chunk]).then(() => cb(), cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.put(chunks.map((c) => c.chunk)).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const fh = this.fh!;
    this.fh = null;
    fh.close().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = null;
    if (!fh) return cb(err);
    fh.close().then(
      () => cb(err),
      () => cb(err),
    );
  }

  /** Write all of `buffers` (a writev may write only part of them), then report. */
  private async put(buffers: Buffer[]): Promise<void> {
    let left = buffers;
    while (left.length) {
      const { bytesWritten } = await this.fh!.writev(left);
      if (bytesWritten === 0) throw new Error(`no progress writing ${this.path}`);
      this.total += bytesWritten;
      left = after(left, bytesWritten);
    }
    // A write that finishes after the stream failed reports nothing: its readers are gone.
    if (!this.destroyed) this.onWritten(this.total);
  }
}

/** What is left of `buffers` once their first `n` bytes are written. Pure. */
export function after(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= buffers[i]!.length) n -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (n > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
