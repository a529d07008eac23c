import { createHash, type Hash } from 'node:crypto';
import { crc32, createInflateRaw, type InflateRaw } from 'node:zlib';
import type { SpeculatedEntry } from '../../gomod/zip-check.js';

/**
 * Speculative one-pass reading of a module zip while its upload streams in, so the disk
 * write, the inflating and the hashing overlap instead of running one after the other.
 * Invariants:
 *
 *  1. Nothing here decides anything. Go reads a zip through its central directory, which
 *     comes last; this scanner sees local headers first and only RECORDS, per local header
 *     offset, what reading that entry produced: method, where its data starts, how many
 *     compressed bytes the data took, the uncompressed size, CRC-32 and SHA-256. The
 *     Go-faithful reader (src/gomod/zip-check.ts over archive-zip.ts) later reuses a record only
 *     when the central directory entry at that offset would read exactly those bytes the
 *     same way; every other entry is read back from the staged file as before.
 *  2. A record is a pure function of the bytes from its offset on: the local header there,
 *     then the data section it locates. So however the scanner lost or regained its way
 *     (prepended data, lying headers, guessing where a data descriptor ends), a record it
 *     keeps is still true of the bytes at its offset — the guesses cost reuse, never truth.
 *  3. A deflated record exists only when the inflater consumed exactly `consumed` bytes and
 *     reached the end of the deflate stream there without error; Go (and the file path)
 *     then inflate the same bytes to the same output whatever the chunking.
 *  4. Memory is bounded: at most QUEUE_BYTES of input wait for the scanner (the caller
 *     awaits `feed`), inflaters are bounded by MAX_PENDING, only a go.mod-named entry's
 *     content is kept (≤ keepLimit bytes), and scanning stops once the inflated total
 *     passes `maxUncompressed` (a bomb is then left to the file path, which refuses it).
 */
export interface ZipStreamOptions {
  /** Raw name of the one entry whose content is kept (`module@version/go.mod`). */
  keepName: Buffer;
  keepLimit: number;
  maxUncompressed: number;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const DESCRIPTOR_SIG = 0x08074b50;
/** Input allowed to wait for the scanner before `feed` makes the upload wait. */
export const QUEUE_BYTES = 8 << 20;
/** Deflated entries still inflating at once (small files pipeline through the thread pool). */
const MAX_PENDING = 16;
/** Queued input is handed on in pieces of up to this size. */
const COALESCE = 1 << 20;

interface Draft {
  headerOffset: number;
  method: number;
  size: number;
  crc: number;
  hash: Hash;
  keep: Buffer[] | null;
  keepBytes: number;
  keepLimit: number;
}

type State =
  | { k: 'header'; start: number; head: Buffer[]; have: number; need: number }
  | { k: 'stored'; d: Draft; left: number; total: number }
  | { k: 'deflate'; d: Draft; left: number; total: number; inf: Inflater }
  | { k: 'deflate-desc'; d: Draft; inf: Inflater }
  | { k: 'descriptor'; look: Buffer[]; have: number; start: number }
  | { k: 'off' };

/** One inflater, with what reading through it has produced so far. */
class Inflater {
  // Large output chunks: fewer round trips to the thread pool per entry.
  readonly z: InflateRaw = createInflateRaw({ chunkSize: 256 * 1024 });
  fed = 0;
  failed = false;
  ended = false;
  readonly done: Promise<void>;
  constructor(
    d: Draft,
    private readonly onBytes: (n: number) => void,
  ) {
    this.z.on('data', (c: Buffer) => {
      absorb(d, c);
      onBytes(c.length);
    });
    this.done = new Promise((resolve) => {
      this.z.on('end', () => {
        this.ended = true;
        resolve();
      });
      this.z.on('error', () => {
        this.failed = true;
        resolve();
      });
      this.z.on('close', () => resolve());
    });
  }
  /** Write one chunk; resolves once zlib has processed it, or the inflater ended or failed. */
  write(c: Buffer): Promise<void> {
    this.fed += c.length;
    if (this.failed || this.z.destroyed) return Promise.resolve();
    // `done` too: a write pending when the stream is destroyed may never call back.
    return Promise.race([new Promise<void>((resolve) => this.z.write(c, () => resolve())), this.done]);
  }
}

function absorb(d: Draft, c: Buffer): void {
  d.size += c.length;
  d.crc = crc32(c, d.crc);
  d.hash.update(c);
  if (d.keep) {
    d.keepBytes += c.length;
    if (d.keepBytes <= d.keepLimit) d.keep.push(c);
    else d.keep = null;
  }
}

export class ZipStreamScanner {
  private state: State = { k: 'header', start: 0, head: [], have: 0, need: 30 };
  /** Absolute offset of the next byte the scanner will process. */
  private offset = 0;
  private readonly records = new Map<number, SpeculatedEntry>();
  private readonly pending = new Set<Promise<void>>();
  private readonly inflaters = new Set<Inflater>();
  private inflated = 0;
  private queue: Buffer[] = [];
  private queued = 0;
  private running: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: ZipStreamOptions) {}

  /** Offer the next bytes of the zip. Await the result: it resolves when there is room for more. */
  feed(chunk: Buffer): Promise<void> | undefined {
    if (this.closed || this.state.k === 'off' || chunk.length === 0) return undefined;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.running ??= this.drain();
    if (this.queued <= QUEUE_BYTES) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The body is complete: wait for in-flight work, return the records (by local header offset). */
  async finish(): Promise<Map<number, SpeculatedEntry>> {
    try {
      while (this.running) await this.running;
      // An entry still open at the end never completed; entries already written out finish.
      this.stop();
      while (this.pending.size) await Promise.all(this.pending);
      return this.records;
    } catch {
      return new Map(); // never fail an upload over a speculation: the file path reads it all
    } finally {
      this.closed = true;
    }
  }

  /** Abandon everything (the upload failed); never throws. */
  abort(): void {
    this.closed = true;
    this.queue = [];
    this.queued = 0;
    this.stop(true);
    this.release();
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /**
   * Scan no further. Entries already written out keep inflating to their records; only the
   * open one (which can no longer complete) is dropped — or all of them when `all`.
   */
  private stop(all = false): void {
    const open = this.state;
    this.state = { k: 'off' };
    if (open.k === 'deflate' || open.k === 'deflate-desc') open.inf.z.destroy();
    if (all) for (const i of this.inflaters) i.z.destroy();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length && !this.closed) {
        // Coalesce what has queued up for an inflater (network reads are small): fewer,
        // larger zlib round trips. Stored data is hashed in place, so it is not copied.
        let c = this.queue.shift()!;
        const inflating = this.state.k === 'deflate' || this.state.k === 'deflate-desc';
        if (inflating && c.length < COALESCE && this.queue.length) {
          const parts = [c];
          let n = c.length;
          while (this.queue.length && n + this.queue[0]!.length <= COALESCE) {
            const next = this.queue.shift()!;
            parts.push(next);
            n += next.length;
          }
          c = parts.length > 1 ? Buffer.concat(parts, n) : c;
        }
        this.queued -= c.length;
        while (c.length && this.state.k !== 'off') c = await this.step(c);
        if (this.state.k === 'off') {
          this.queue = [];
          this.queued = 0;
        }
        if (this.queued <= QUEUE_BYTES) this.release();
      }
    } catch {
      // A scanner bug must never fail an upload: the file path reads whatever is unrecorded.
      this.stop(true);
    } finally {
      this.running = null;
      this.release();
    }
  }

  private newDraft(headerOffset: number, method: number, name: Buffer): Draft {
    const keeping = name.equals(this.opts.keepName);
    return { headerOffset, method, size: 0, crc: 0, hash: createHash('sha256'), keep: keeping ? [] : null, keepBytes: 0, keepLimit: this.opts.keepLimit };
  }

  private record(d: Draft, consumed: number): void {
    this.records.set(d.headerOffset, {
      headerOffset: d.headerOffset,
      method: d.method,
      consumed,
      size: d.size,
      crc: d.crc >>> 0,
      sha256: d.hash.digest('hex'),
      content: d.keep ? Buffer.concat(d.keep) : null,
    });
  }

  private countInflated = (n: number) => {
    this.inflated += n;
    if (this.inflated > this.opts.maxUncompressed && !this.closed) this.stop(true);
  };

  /** Process a prefix of `c` (absolute offset this.offset); return the rest. */
  private async step(c: Buffer): Promise<Buffer> {
    const s = this.state;
    switch (s.k) {
      case 'header': {
        const take = Math.min(s.need - s.have, c.length);
        s.head.push(c.subarray(0, take));
        s.have += take;
        this.offset += take;
        const rest = c.subarray(take);
        if (s.have < s.need) return rest;
        const h = s.head.length === 1 ? s.head[0]! : Buffer.concat(s.head);
        s.head = [h];
        if (h.readUInt32LE(0) !== LOCAL_SIG) {
          this.stop(); // the central directory (or anything unexpected): nothing more to speculate on
          return rest;
        }
        const full = 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
        if (s.need < full) {
          s.need = full;
          return rest;
        }
        this.beginEntry(s.start, h);
        return rest;
      }
      case 'stored': {
        const take = Math.min(s.left, c.length);
        absorb(s.d, c.subarray(0, take));
        this.countInflated(take);
        s.left -= take;
        this.offset += take;
        if (s.left === 0 && this.state === s) {
          this.record(s.d, s.total);
          this.state = { k: 'header', start: this.offset, head: [], have: 0, need: 30 };
        }
        return c.subarray(take);
      }
      case 'deflate': {
        const take = Math.min(s.left, c.length);
        s.left -= take;
        this.offset += take;
        const written = s.inf.write(c.subarray(0, take));
        if (s.left === 0) {
          const { inf, d, total } = s;
          inf.z.end();
          this.track(inf, () => {
            if (inf.ended && !inf.failed && inf.z.bytesWritten === total) this.record(d, total);
          });
          if (this.state === s) this.state = { k: 'header', start: this.offset, head: [], have: 0, need: 30 };
        }
        // Bounded pipelining: wait for zlib only when it falls behind.
        if (s.inf.z.writableLength > 1 << 20) await written;
        await this.room();
        return c.subarray(take);
      }
      case 'deflate-desc': {
        // The size is unknown until the deflate stream ends: write, and see how much zlib took.
        const before = s.inf.fed;
        await s.inf.write(c);
        if (this.state !== s) return Buffer.alloc(0);
        if (s.inf.failed) {
          this.stop(); // lost our place in the zip
          return Buffer.alloc(0);
        }
        const used = s.inf.z.bytesWritten - before;
        if (used >= c.length && !s.inf.ended) {
          this.offset += c.length;
          return Buffer.alloc(0);
        }
        // The deflate stream ended inside this chunk (or exactly before it).
        const consumed = s.inf.z.bytesWritten;
        const { inf, d } = s;
        inf.z.end();
        this.track(inf, () => {
          if (inf.ended && !inf.failed) this.record(d, consumed);
        });
        this.offset += Math.max(used, 0);
        this.state = { k: 'descriptor', look: [], have: 0, start: this.offset };
        return c.subarray(Math.max(used, 0));
      }
      case 'descriptor': {
        // Up to 24 bytes of descriptor, then the next signature: find where the next header is.
        const take = Math.min(28 - s.have, c.length);
        s.look.push(c.subarray(0, take));
        s.have += take;
        if (s.have < 28) {
          this.offset += take;
          return c.subarray(take);
        }
        const look = Buffer.concat(s.look);
        const candidates = look.readUInt32LE(0) === DESCRIPTOR_SIG ? [16, 24] : [12, 20];
        const at = candidates.find((k) => {
          const sig = look.readUInt32LE(k);
          return sig === LOCAL_SIG || sig === CENTRAL_SIG;
        });
        if (at === undefined) {
          this.stop();
          return Buffer.alloc(0);
        }
        // Re-scan the looked-ahead bytes past the descriptor as the next header.
        this.state = { k: 'header', start: s.start + at, head: [], have: 0, need: 30 };
        this.offset = s.start + at;
        const replay = Buffer.concat([look.subarray(at), c.subarray(take)]);
        return replay;
      }
      case 'off':
        return Buffer.alloc(0);
    }
  }

  private beginEntry(start: number, h: Buffer): void {
    const flags = h.readUInt16LE(6);
    const method = h.readUInt16LE(8);
    const csize = h.readUInt32LE(18);
    const usize = h.readUInt32LE(22);
    const name = h.subarray(30, 30 + h.readUInt16LE(26));
    const d = this.newDraft(start, method, name);
    const next = () => ({ k: 'header' as const, start: this.offset, head: [], have: 0, need: 30 });
    if (method !== 0 && method !== 8) return this.stop();
    if (flags & 0x8) {
      // A stored entry with a descriptor has no findable end; a deflated one ends with its stream.
      if (method === 0) return this.stop();
      this.state = { k: 'deflate-desc', d, inf: this.inflater(d) };
      return;
    }
    if (csize === 0xffffffff || usize === 0xffffffff) return this.stop(); // ZIP64 sizes: leave to the file path
    if (method === 0) {
      if (csize === 0) {
        this.record(d, 0);
        this.state = next();
      } else this.state = { k: 'stored', d, left: csize, total: csize };
      return;
    }
    const inf = this.inflater(d);
    if (csize === 0) {
      inf.z.end();
      this.track(inf, () => {
        if (inf.ended && !inf.failed) this.record(d, 0);
      });
      this.state = next();
      return;
    }
    this.state = { k: 'deflate', d, left: csize, total: csize, inf };
  }

  private inflater(d: Draft): Inflater {
    const inf = new Inflater(d, this.countInflated);
    this.inflaters.add(inf);
    return inf;
  }

  private track(inf: Inflater, then: () => void): void {
    const p = inf.done.then(() => {
      this.inflaters.delete(inf);
      this.pending.delete(p);
      if (this.closed && !inf.ended) return;
      then();
    });
    this.pending.add(p);
  }

  /** Wait while too many finished-writing entries are still inflating. */
  private async room(): Promise<void> {
    while (this.pending.size >= MAX_PENDING) await Promise.race(this.pending);
  }
}
