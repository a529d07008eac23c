import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32, createDeflateRaw, constants as zc } from 'node:zlib';
import { inlinePreparer, makePreparer, type BatchJob, type BatchResult } from './zip-prepare.js';

/**
 * A streaming ZIP writer for module zips, built for throughput on many small files. Not a port:
 * x/mod/zip writes through Go's archive/zip; this writes entries any zip reader (and Go's
 * archive/zip, zip-check.ts) reads back to the same names and bytes, which is all h1 depends on.
 *
 * Invariants:
 *  - entries are written in the order given; only file entries (no directories), each with
 *    the DOS time 1980-01-01 00:00 (h1 ignores times; fixed times make zips reproducible);
 *  - files are cut into contiguous batches (≤ BATCH_BYTES / BATCH_FILES) that are turned
 *    into finished local entries (zip-prepare.ts) by worker threads AND by this thread
 *    whenever it would otherwise wait, while finished batches are appended to the file
 *    strictly in order; at most `ahead` batches are outstanding and at most two writes
 *    queued, so memory stays bounded whatever the module's size. With N cores that is N-1
 *    workers plus this thread: one V8 isolate fewer (~25 MB RSS) than N workers, same
 *    parallelism. Small zips run on this thread alone: starting a worker costs more;
 *  - files over STREAM_THRESHOLD are streamed through one deflater with a data descriptor
 *    (general purpose bit 3), never held whole in memory;
 *  - every file's sha256 is taken from the very bytes that are compressed;
 *  - ZIP64 end records are written when the entry count or an offset needs them.
 */
export const STREAM_THRESHOLD = 8 << 20;
export const BATCH_BYTES = 512 << 10;
export const BATCH_FILES = 256;
/** Below this much input, workers are not started. */
export const WORKER_MIN_BYTES = 4 << 20;
const MAX_WORKERS = 4;

const DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1; // 1980-01-01
const DOS_TIME_0 = 0;
const UTF8_FLAG = 1 << 11;
const DESCRIPTOR_FLAG = 1 << 3;
const VERSION_NEEDED = 20;
const VERSION_NEEDED_ZIP64 = 45;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

export interface ZipInput {
  /** Name inside the zip (forward slashes). */
  name: string;
  /** File to read. */
  path: string;
  size: number;
}

export interface ZipResult {
  bytes: number;
  /** sha256 hex of each entry's uncompressed bytes, in input order. */
  sha256: string[];
  /** Compression method of each entry (0 stored, 8 deflated), in input order. */
  methods: number[];
}

export interface WriteZipOptions {
  /** Worker threads preparing entries; 0 prepares on this thread. Default: by input size. */
  workers?: number;
}

interface CentralEntry {
  name: Buffer;
  method: number;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

const WORKER_SOURCE = `'use strict';
const { parentPort } = require('node:worker_threads');
const { prepareBatch, recycle } = (${makePreparer.toString()})(require);
parentPort.on('message', (job) => {
  if (job.recycle) return recycle(job.recycle);
  let r;
  try {
    r = prepareBatch(job);
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String((err && err.message) || err) });
    return;
  }
  parentPort.postMessage(r, [r.bytes.buffer]);
});`;

interface Task {
  job: BatchJob;
  resolve: (r: BatchResult) => void;
  reject: (e: Error) => void;
}

/**
 * Runs batch jobs first come first served on worker threads (each kept two jobs deep, so it
 * never idles while the main thread is busy) and, through help(), on the calling thread.
 */
class PreparePool {
  private readonly workers: Worker[] = [];
  private readonly load = new Map<Worker, Set<number>>();
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, Task>();
  private broken: Error | undefined;
  private nextRecycle = 0;

  constructor(
    size: number,
    private readonly local: ReturnType<typeof inlinePreparer>,
  ) {
    for (let i = 0; i < size; i++) {
      // execArgv: [] keeps the parent's loaders and inspector flags out of the helpers.
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      const ids = new Set<number>();
      w.on('message', (r: BatchResult & { error?: string }) => {
        const task = this.running.get(r.id);
        this.running.delete(r.id);
        ids.delete(r.id);
        if (r.error !== undefined) task?.reject(new Error(r.error));
        else task?.resolve(r);
        this.pump();
      });
      const die = (err: Error) => {
        this.broken ??= err;
        for (const id of ids) this.running.get(id)?.reject(this.broken);
        for (const t of this.queue.splice(0)) t.reject(this.broken);
      };
      w.on('error', die);
      w.on('exit', (code) => die(new Error(`zip worker exited (code ${code})`)));
      this.workers.push(w);
      this.load.set(w, ids);
    }
  }

  run(job: BatchJob): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Prepare the oldest queued job on this thread; false when none is queued. */
  help(): boolean {
    const t = this.queue.shift();
    if (!t) return false;
    try {
      t.resolve(this.local.prepareBatch(t.job));
    } catch (err) {
      t.reject(err as Error);
    }
    return true;
  }

  /** Give a written batch's buffer back for reuse (to a worker, round robin, or to this thread). */
  recycle(buffer: ArrayBuffer): void {
    const n = this.workers.length + 1;
    const i = this.nextRecycle++ % n;
    if (i === n - 1 || this.broken) this.local.recycle(buffer);
    else this.workers[i]!.postMessage({ recycle: buffer }, [buffer]);
  }

  private pump(): void {
    if (this.broken) return;
    for (const w of this.workers) {
      const ids = this.load.get(w)!;
      while (ids.size < 2 && this.queue.length) {
        const t = this.queue.shift()!;
        ids.add(t.job.id);
        this.running.set(t.job.id, t);
        w.postMessage(t.job);
      }
    }
  }

  async close(): Promise<void> {
    this.broken ??= new Error('zip worker pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

type Step = { kind: 'batch'; start: number; end: number } | { kind: 'stream'; index: number };

/** Contiguous batches in input order; big files get a step of their own. Pure. */
export function planSteps(inputs: ZipInput[]): Step[] {
  const steps: Step[] = [];
  let start = 0;
  let bytes = 0;
  const cut = (end: number) => {
    if (end > start) steps.push({ kind: 'batch', start, end });
    start = end;
    bytes = 0;
  };
  for (let i = 0; i < inputs.length; i++) {
    const size = inputs[i]!.size;
    if (size > STREAM_THRESHOLD) {
      cut(i);
      steps.push({ kind: 'stream', index: i });
      start = i + 1;
      continue;
    }
    if (i > start && (bytes + size > BATCH_BYTES || i - start >= BATCH_FILES)) cut(i);
    bytes += size;
  }
  cut(inputs.length);
  return steps;
}

function localHeader(name: Buffer, method: number, flags: number, crc: number, compressed: number, size: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(VERSION_NEEDED, 4);
  h.writeUInt16LE(flags, 6);
  h.writeUInt16LE(method, 8);
  h.writeUInt16LE(DOS_TIME_0, 10);
  h.writeUInt16LE(DOS_DATE_1980, 12);
  h.writeUInt32LE(crc >>> 0, 14);
  h.writeUInt32LE(compressed, 18);
  h.writeUInt32LE(size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, name]);
}

/**
 * All central headers in one buffer, written in place through a DataView: one small Buffer
 * per header plus a concat of 20k of them, then Buffer's validating writeUInt* calls, were
 * ~50 ms at the very end of a zip, when nothing else runs.
 */
function centralDirectory(entries: CentralEntry[]): Buffer {
  let total = 0;
  for (const e of entries) total += 46 + e.name.length + (e.offset > MAX32 ? 12 : 0);
  const h = Buffer.allocUnsafe(total); // every byte is written below
  const v = new DataView(h.buffer, h.byteOffset, total);
  let at = 0;
  for (const e of entries) {
    const zip64 = e.offset > MAX32;
    v.setUint32(at, 0x02014b50, true);
    v.setUint16(at + 4, (3 << 8) | VERSION_NEEDED_ZIP64, true); // made by: unix
    v.setUint16(at + 6, zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, true);
    v.setUint16(at + 8, e.flags, true);
    v.setUint16(at + 10, e.method, true);
    v.setUint16(at + 12, DOS_TIME_0, true);
    v.setUint16(at + 14, DOS_DATE_1980, true);
    v.setUint32(at + 16, e.crc >>> 0, true);
    v.setUint32(at + 20, e.compressed, true);
    v.setUint32(at + 24, e.size, true);
    v.setUint16(at + 28, e.name.length, true);
    v.setUint16(at + 30, zip64 ? 12 : 0, true); // extra
    v.setUint16(at + 32, 0, true); // comment
    v.setUint16(at + 34, 0, true); // disk
    v.setUint16(at + 36, 0, true); // internal attrs
    v.setUint32(at + 38, (0o100644 << 16) >>> 0, true); // external attrs: regular file 0644
    v.setUint32(at + 42, zip64 ? MAX32 : e.offset, true);
    at += 46;
    at += e.name.copy(h, at);
    if (zip64) {
      v.setUint16(at, 0x0001, true);
      v.setUint16(at + 2, 8, true);
      v.setBigUint64(at + 4, BigInt(e.offset), true);
      at += 12;
    }
  }
  return h;
}

function endRecords(count: number, cdOffset: number, cdSize: number): Buffer {
  const parts: Buffer[] = [];
  const zip64 = count > MAX16 || cdOffset > MAX32 || cdSize > MAX32;
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(VERSION_NEEDED_ZIP64, 12);
    z.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
    z.writeUInt32LE(0, 16);
    z.writeUInt32LE(0, 20);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeUInt32LE(0, 4);
    loc.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    loc.writeUInt32LE(1, 16);
    parts.push(z, loc);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(Math.min(count, MAX16), 8);
  e.writeUInt16LE(Math.min(count, MAX16), 10);
  e.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  e.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
  parts.push(e);
  return Buffer.concat(parts);
}

/** Write `inputs` as a zip to `outPath` (created or truncated). */
export async function writeZip(inputs: ZipInput[], outPath: string, opts: WriteZipOptions = {}): Promise<ZipResult> {
  const steps = planSteps(inputs);
  const total = inputs.reduce((a, f) => a + (f.size > STREAM_THRESHOLD ? 0 : f.size), 0);
  const batches = steps.filter((s) => s.kind === 'batch').length;
  const wanted = opts.workers ?? (total >= WORKER_MIN_BYTES ? Math.min(availableParallelism() - 1, MAX_WORKERS) : 0);
  const workers = Math.max(0, Math.min(wanted, batches - 1));
  const fh: FileHandle = await open(outPath, 'w');
  const pool = new PreparePool(workers, inlinePreparer());
  const ahead = 2 * (workers + 1) + 1;

  let offset = 0;
  const central: CentralEntry[] = [];
  const sha256: string[] = new Array(inputs.length);
  const methods: number[] = new Array(inputs.length);
  const pending = new Map<number, { result?: BatchResult; error?: Error; promise: Promise<BatchResult> }>();
  let submitted = 0;
  const submit = (current: number) => {
    for (; submitted < steps.length && submitted - current < ahead; submitted++) {
      const step = steps[submitted]!;
      if (step.kind !== 'batch') continue;
      const slice = inputs.slice(step.start, step.end);
      const promise = pool.run({ id: submitted, paths: slice.map((f) => f.path), names: slice.map((f) => f.name), sizes: slice.map((f) => f.size) });
      const entry: { result?: BatchResult; error?: Error; promise: Promise<BatchResult> } = { promise };
      promise.then(
        (r) => (entry.result = r),
        (e: Error) => (entry.error = e),
      );
      pending.set(submitted, entry);
    }
  };
  // Writes are queued, not awaited one by one, so this thread can prepare the next batch
  // while the kernel copies the last one; at most two are queued (bounded memory).
  let writing: Promise<void> = Promise.resolve();
  let queuedWrites = 0;
  const queueWrite = async (data: Uint8Array, after?: () => void) => {
    if (queuedWrites >= 2) await writing;
    queuedWrites++;
    writing = writing.then(async () => {
      await writeAll(fh, data);
      queuedWrites--;
      after?.();
    });
    writing.catch(() => {}); // surfaced by the next await of `writing`
  };

  try {
    for (let k = 0; k < steps.length; k++) {
      submit(k);
      const step = steps[k]!;
      if (step.kind === 'stream') {
        await writing;
        const r = await streamEntry(fh, inputs[step.index]!, offset);
        sha256[step.index] = r.sha256;
        methods[step.index] = 8;
        central.push(r.central);
        offset += r.written;
        continue;
      }
      const entry = pending.get(k)!;
      pending.delete(k);
      // Rather than wait, prepare queued batches here; yield between them so results and
      // new jobs reach the workers.
      while (!entry.result && !entry.error && pool.help()) await new Promise((r) => setImmediate(r));
      const r = await entry.promise;
      recordBatch(r, inputs, step.start, offset, sha256, methods, central);
      offset += r.bytes.length;
      await queueWrite(r.bytes, () => pool.recycle(r.bytes.buffer as ArrayBuffer));
    }
    await writing;
    const cd = centralDirectory(central);
    const end = endRecords(central.length, offset, cd.length);
    await writeAll(fh, cd);
    await writeAll(fh, end);
    offset += cd.length + end.length;
    // No fsync: the zip is a working file its caller reads back and deletes (publish uploads
    // it from a temporary directory), as x/mod's CreateFromDir leaves syncing to its caller.
    // Forcing 200 MB to the disk cost 50 ms on a quiet machine and seconds behind other writes.
  } finally {
    await writing.catch(() => {});
    await Promise.all([fh.close(), pool.close()]);
  }
  return { bytes: offset, sha256, methods };
}

/**
 * A written batch's central entries and per-file results. Its own small function: as a loop
 * inside writeZip it made that whole async function hot, and V8 compiled it three times.
 */
function recordBatch(r: BatchResult, inputs: ZipInput[], start: number, offset: number, sha256: string[], methods: number[], central: CentralEntry[]): void {
  for (let j = 0; j < r.offsets.length; j++) {
    const inp = inputs[start + j]!;
    sha256[start + j] = r.sha256[j]!;
    methods[start + j] = r.methods[j]!;
    central.push({ name: Buffer.from(inp.name, 'utf8'), method: r.methods[j]!, flags: UTF8_FLAG, crc: r.crcs[j]!, compressed: r.compressed[j]!, size: inp.size, offset: offset + r.offsets[j]! });
  }
}

async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) done += (await fh.write(data, done, data.length - done)).bytesWritten;
}

/** A large file: streamed through a deflater, sizes and CRC in a data descriptor. */
async function streamEntry(fh: FileHandle, inp: ZipInput, entryOffset: number): Promise<{ sha256: string; central: CentralEntry; written: number }> {
  const name = Buffer.from(inp.name, 'utf8');
  let written = 0;
  const put = async (b: Uint8Array) => {
    await writeAll(fh, b);
    written += b.length;
  };
  await put(localHeader(name, 8, UTF8_FLAG | DESCRIPTOR_FLAG, 0, 0, 0));
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  let compressed = 0;
  const deflater = createDeflateRaw({ level: zc.Z_DEFAULT_COMPRESSION, chunkSize: 1 << 20 });
  const drained = (async () => {
    for await (const chunk of deflater as AsyncIterable<Buffer>) {
      compressed += chunk.length;
      await put(chunk);
    }
  })();
  drained.catch(() => {}); // awaited below
  try {
    for await (const chunk of createReadStream(inp.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (!deflater.write(chunk)) await new Promise((r) => deflater.once('drain', r));
    }
  } catch (err) {
    deflater.destroy();
    throw err;
  }
  deflater.end();
  await drained;
  if (size !== inp.size) throw new Error(`${inp.path} changed size while zipping (${inp.size} → ${size} bytes)`);
  const desc = Buffer.alloc(16);
  desc.writeUInt32LE(0x08074b50, 0);
  desc.writeUInt32LE(crc >>> 0, 4);
  desc.writeUInt32LE(compressed, 8);
  desc.writeUInt32LE(size, 12);
  await put(desc);
  return { sha256: hash.digest('hex'), written, central: { name, method: 8, flags: UTF8_FLAG | DESCRIPTOR_FLAG, crc: crc >>> 0, compressed, size, offset: entryOffset } };
}
