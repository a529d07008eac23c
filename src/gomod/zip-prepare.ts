import { createRequire } from 'node:module';

/**
 * Turning module files into finished local zip entries (header + data), in batches, so the
 * work can run on worker threads. Profile of the former one-promise-per-step pipeline on
 * 20k files: most CPU went to per-file overhead (thread-pool hand-offs, promises, futexes,
 * page faults from a fresh zlib context per async deflate), not to deflate itself. A batch
 * here is plain synchronous code: read, sha256, crc32, decide, deflate, write the header.
 *
 * Invariants:
 *  - a batch's `bytes` are the exact local entries, in input order, ready to append to the
 *    zip; each entry is a file (never a directory) dated 1980-01-01 00:00, UTF-8 flagged;
 *  - sha256 (for h1) and crc32 are taken over the very bytes that were read and zipped;
 *  - a file whose size differs from the size it was listed with fails the batch (the
 *    limits were checked against the listed size);
 *  - data is DEFLATED unless deflating would not make it smaller: then it is STORED. The
 *    level is zlib's 4, not Go's flate.DefaultCompression (6): on Go source (GOROOT/src
 *    slices) zlib 4 already matches the size of Go's level-6 output (data ratio 0.247 vs
 *    Go's 0.249; zlib 6: 0.240) for ~30% less CPU than zlib 6. Data that a cheap scan shows to be incompressible
 *    (high byte entropy and no repeated 4-byte strings: already compressed or random) is
 *    stored without trying. Both methods unzip to the same bytes and h1 hashes those, so the
 *    choice never changes the module's hash — only size and time.
 *
 * makePreparer must stay self-contained (no imports, no module-level bindings): its source
 * text is what the worker threads evaluate (zip-writer.ts).
 */
export interface BatchJob {
  id: number;
  /** Absolute paths, zip entry names and listed sizes, in zip order. */
  paths: string[];
  names: string[];
  sizes: number[];
}

export interface BatchResult {
  id: number;
  /** The local entries, back to back. */
  bytes: Uint8Array;
  /** Per entry: offset of its local header in `bytes`, method, crc32, compressed size, sha256 hex. */
  offsets: number[];
  methods: number[];
  crcs: number[];
  compressed: number[];
  sha256: string[];
}

export interface Preparer {
  prepareBatch(job: BatchJob): BatchResult;
  /** Hand a result's buffer back once written, for a later batch to reuse. */
  recycle(buffer: ArrayBuffer): void;
  looksIncompressible(data: Uint8Array): boolean;
}

export function makePreparer(req: (id: string) => unknown): Preparer {
  const fs = req('node:fs') as typeof import('node:fs');
  const zlib = req('node:zlib') as typeof import('node:zlib');
  const crypto = req('node:crypto') as typeof import('node:crypto');

  const DEFLATE_LEVEL = 4;
  // crypto.hash (Node >= 20.12) skips a Hash object per file.
  const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;
  const MIN_TRY_SIZE = 1024;
  const WINDOW = 64 << 10;
  const WINDOWS = 4;
  const hist = new Int32Array(256);
  // One slot per hash: the window's stamp (high 16 bits) and 16 more bits of the 4 bytes'
  // hash. A slot from an earlier window never equals this window's stamp, so the table is
  // cleared only when stamps wrap, not per file: clearing it per file cost as much as probing
  // a 10 KB file.
  const table = new Int32Array(1 << 16);
  let stamp = 0;

  /**
   * True when deflate would almost surely gain < ~2%: (almost) no 4-byte string seen twice
   * within a window, and order-0 entropy near 8 bits/byte. The windows are the whole input up
   * to 4 × 64 KiB, else four 64 KiB windows spread over it; each spans deflate's 32 KiB reach
   * twice, so a repeated block that deflate would find is found here too (entropy alone
   * would store such a file). Text is rejected within a few hundred bytes; random data costs
   * a hash-table probe per byte, several times cheaper than deflating it. Data that is
   * random where sampled and compressible elsewhere (a big file with a text island between
   * windows) is stored: a size loss bounded by that island, never a wrong zip. Inputs under
   * 1 KiB are never judged: deflating them is cheap.
   */
  function looksIncompressible(data: Uint8Array): boolean {
    const n = data.length;
    if (n < MIN_TRY_SIZE) return false;
    const windows = n <= WINDOW * WINDOWS ? 1 : WINDOWS;
    const width = windows === 1 ? n : WINDOW;
    const step = windows === 1 ? 0 : Math.floor((n - width) / (windows - 1));
    // A table about as large as the window: few live entries are overwritten before a repeat.
    const bits = Math.min(16, Math.max(10, 32 - Math.clz32(width - 1)));
    const shift = 32 - bits;
    hist.fill(0);
    let probed = 0;
    let repeats = 0;
    // The 4 bytes at i in one unaligned little-endian load; each byte is counted in the
    // histogram as the first of its 4, a window's last 3 after its loop.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let w = 0; w < windows; w++) {
      const start = w * step;
      const last = start + width - 4;
      if (++stamp > 0x7fff) {
        table.fill(0);
        stamp = 1;
      }
      const mark = stamp << 16;
      // One load, compare and store per byte; the branch is taken only on a repeat (an
      // earlier slot-age test, true at random as the table filled, was mispredicted often
      // enough to double the loop's time). With 16 table bits the slot's 16 hash bits make
      // the whole 32-bit hash, which is a bijection of the 4 bytes: equal slot, equal bytes.
      // With fewer table bits, different 4-byte strings match with odds 2^-(bits + 16) —
      // a few false repeats per million bytes, which only ever lead to trying deflate.
      for (let i = start; i <= last; i++) {
        const v = view.getInt32(i, true);
        hist[v & 0xff]!++;
        const m = Math.imul(v, 0x9e3779b1);
        const h = m >>> shift;
        const slot = mark | (m & 0xffff);
        if (table[h] === slot) {
          // Random data repeats a 4-byte string about once per 2^32 pairs; text constantly.
          if (++repeats * 64 > probed + 256) return false;
        }
        table[h] = slot;
        probed++;
      }
      for (let i = last + 1; i < start + width; i++) hist[data[i]!]!++;
    }
    if (repeats * 64 > probed) return false;
    const sampled = windows * width;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = hist[b]!;
      if (c) sum += c * Math.log2(c);
    }
    const entropy = Math.log2(sampled) - sum / sampled;
    // The plug-in estimate runs low by about 255 / (2 m ln 2) bits on m samples of uniform data.
    return entropy + 255 / (2 * sampled * Math.LN2) >= 7.85;
  }

  // Batch buffers go to the writer and come back through recycle(): without that, each
  // batch's buffer lingers until the writer's GC notices it, and the process's peak RSS
  // grew by tens of MB. Never from Buffer's shared pool: the whole ArrayBuffer moves.
  const MIN_BUFFER = 768 << 10;
  const spares: ArrayBuffer[] = [];
  function takeBuffer(size: number): ArrayBuffer {
    const i = spares.findIndex((b) => b.byteLength >= size);
    if (i >= 0) return spares.splice(i, 1)[0]!;
    return new ArrayBuffer(Math.max(size, MIN_BUFFER));
  }
  function recycle(buffer: ArrayBuffer): void {
    if (spares.length < 2 && buffer.byteLength >= MIN_BUFFER) spares.push(buffer);
  }

  function readExactly(path: string, size: number, into: Uint8Array, at: number): void {
    const fd = fs.openSync(path, 'r');
    try {
      // `into` has at least one spare byte past this file, so growth shows as an over-read.
      let got = 0;
      for (;;) {
        const r = fs.readSync(fd, into, at + got, size + 1 - got, null);
        if (r === 0) break;
        got += r;
        if (got > size) break;
      }
      if (got !== size) throw new Error(`${path} changed size while zipping (${size} → ${got > size ? 'more' : got} bytes)`);
    } finally {
      fs.closeSync(fd);
    }
  }

  function prepareBatch(job: BatchJob): BatchResult {
    const count = job.paths.length;
    const nameBytes: Buffer[] = new Array(count);
    let capacity = 1;
    for (let i = 0; i < count; i++) {
      nameBytes[i] = Buffer.from(job.names[i]!, 'utf8');
      capacity += 30 + nameBytes[i]!.length + job.sizes[i]!;
    }
    const out = Buffer.from(takeBuffer(capacity), 0, capacity);
    // Header fields through a DataView: Buffer's writeUInt* validate every call, and 11 per
    // file showed in profiles.
    const view = new DataView(out.buffer, out.byteOffset, capacity);
    const offsets: number[] = new Array(count);
    const methods: number[] = new Array(count);
    const crcs: number[] = new Array(count);
    const compressed: number[] = new Array(count);
    const sha256: string[] = new Array(count);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const name = nameBytes[i]!;
      const size = job.sizes[i]!;
      const dataAt = pos + 30 + name.length;
      readExactly(job.paths[i]!, size, out, dataAt);
      const raw = out.subarray(dataAt, dataAt + size);
      sha256[i] = oneShot ? oneShot('sha256', raw, 'hex') : crypto.createHash('sha256').update(raw).digest('hex');
      const crc = zlib.crc32(raw);
      let method = 0;
      let csize = size;
      if (size > 0 && !looksIncompressible(raw)) {
        // A small chunkSize keeps zlib's output buffers in Buffer's shared pool: the default 16 KiB
        // one per file is off-pool garbage that V8 lets pile up (tens of MB of RSS).
        const deflated = zlib.deflateRawSync(raw, { level: DEFLATE_LEVEL, chunkSize: size < 65536 ? 4000 : 65536 });
        if (deflated.length < size) {
          out.set(deflated, dataAt);
          method = 8;
          csize = deflated.length;
        }
      }
      view.setUint32(pos, 0x04034b50, true);
      view.setUint16(pos + 4, 20, true); // version needed: 2.0
      view.setUint16(pos + 6, 1 << 11, true); // UTF-8 names
      view.setUint16(pos + 8, method, true);
      view.setUint16(pos + 10, 0, true); // 00:00
      view.setUint16(pos + 12, (1 << 5) | 1, true); // 1980-01-01
      view.setUint32(pos + 14, crc >>> 0, true);
      view.setUint32(pos + 18, csize, true);
      view.setUint32(pos + 22, size, true);
      view.setUint16(pos + 26, name.length, true);
      view.setUint16(pos + 28, 0, true);
      name.copy(out, pos + 30);
      offsets[i] = pos;
      methods[i] = method;
      crcs[i] = crc >>> 0;
      compressed[i] = csize;
      pos = dataAt + csize;
    }
    return { id: job.id, bytes: new Uint8Array(out.buffer, 0, pos), offsets, methods, crcs, compressed, sha256 };
  }

  return { prepareBatch, recycle, looksIncompressible };
}

let inline: Preparer | undefined;
/** The preparer on the calling thread (small zips, and tests). */
export function inlinePreparer(): Preparer {
  return (inline ??= makePreparer(createRequire(import.meta.url)));
}
