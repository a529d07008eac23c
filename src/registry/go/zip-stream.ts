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
 *     awaits `feed`), at most INFLATE_BUDGET wait inside inflaters, inflaters are bounded by
 *     MAX_PENDING, only a go.mod-named entry's content is kept (≤ keepLimit bytes), and
 *     scanning stops once the inflated total passes `maxUncompressed` (a bomb is then left
 *     to the file path, which refuses it).
 *  5. The scanner never waits for an inflater to find where an entry ends, so entries inflate
 *     side by side on the thread pool. An entry whose sizes follow it in a data descriptor
 *     ends, by the scanner's guess, at the first next-header signature that follows one of
 *     the four descriptor forms (with or without signature, 32- or 64-bit sizes) holding
 *     exactly the compressed size read so far. By 2 and 3 the guess decides only which
 *     records exist, never what one says: a wrong guess leaves the entry unrecorded, and
 *     the records found from the guessed header on are still true of their own offsets.
 */
export interface ZipStreamOptions {
  /** Raw name of the one entry whose content is kept (`module@version/go.mod`). */
  keepName: Buffer;
  keepLimit: number;
  maxUncompressed: number;
}

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG_BYTES = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const CENTRAL_SIG_BYTES = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
const DESCRIPTOR_SIG = 0x08074b50;
/** Longest data descriptor (signature, CRC, two 64-bit sizes) plus a header signature, less one. */
const CARRY = 24 + 3;
/** Input allowed to wait for the scanner before `feed` makes the upload wait. */
export const QUEUE_BYTES = 8 << 20;
/** Deflated entries still inflating at once (small files pipeline through the thread pool). */
const MAX_PENDING = 16;
/**
 * Input written to inflaters and not yet inflated. Large enough that two big entries inflate
 * at once (the second core), small enough for the RSS goal; past it the scanner waits. At
 * least COALESCE: the open entry may hold that much until more input arrives.
 */
const INFLATE_BUDGET = 16 << 20;
/** Input handed to zlib at once, and the largest output chunk (see Inflater). */
const COALESCE = 1 << 20;

interface Draft {
  headerOffset: number;
  dataOffset: number;
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
  | { k: 'deflate-desc'; d: Draft; inf: Inflater; dataStart: number; carry: Buffer }
  | { k: 'off' };

/**
 * One inflater, with what reading through it has produced so far. Each zlib write and each
 * filled output chunk is a round trip between the thread pool and this thread, and an entry
 * inflates no faster than those round trips come back; so input is handed to zlib in pieces
 * of COALESCE bytes and the output comes in chunks as large as the entry (up to COALESCE).
 */
class Inflater {
  readonly z: InflateRaw;
  failed = false;
  ended = false;
  readonly done: Promise<void>;
  private held: Buffer[] = [];
  private heldBytes = 0;
  constructor(
    d: Draft,
    private readonly onBytes: (n: number) => void,
    private readonly budget: Budget,
    expectedSize: number,
  ) {
    // A declared size that lies only changes where the output is cut.
    this.z = createInflateRaw({ chunkSize: Math.min(COALESCE, Math.max(1024, expectedSize)) });
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
    // Bytes still held when the inflater ends or is destroyed go back to the budget.
    void this.done.then(() => {
      this.budget.give(this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    });
  }

  /** Take the next compressed bytes without waiting for zlib; they count against the budget until inflated. */
  write(c: Buffer): void {
    if (this.failed || this.z.destroyed || c.length === 0) return;
    this.budget.take(c.length);
    this.held.push(c);
    this.heldBytes += c.length;
    if (this.heldBytes >= COALESCE) this.flush();
  }

  /** No more input: zlib gets what is held, then the end of its input. */
  end(): void {
    this.flush();
    this.z.end();
  }

  private flush(): void {
    if (this.heldBytes === 0 || this.z.destroyed) return;
    const c = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.heldBytes = 0;
    let settled = false;
    const settle = () => {
      if (!settled) this.budget.give(c.length);
      settled = true;
    };
    this.z.write(c, settle);
    // A write pending when the stream ends or is destroyed may never call back.
    void this.done.then(settle);
  }
}

/** Bytes handed to inflaters and not yet processed (invariant 4). */
class Budget {
  private used = 0;
  private waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  take(n: number): void {
    this.used += n;
  }
  give(n: number): void {
    this.used -= n;
    if (this.used <= this.limit) for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves once the bytes in flight are back under the limit. */
  room(): Promise<void> | undefined {
    if (this.used <= this.limit) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    for (const w of this.waiters.splice(0)) w();
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
  private readonly budget = new Budget(INFLATE_BUDGET);
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
    this.budget.release();
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
        let c = this.queue.shift()!;
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

  private newDraft(headerOffset: number, dataOffset: number, method: number, name: Buffer): Draft {
    const keeping = name.equals(this.opts.keepName);
    return { headerOffset, dataOffset, method, size: 0, crc: 0, hash: createHash('sha256'), keep: keeping ? [] : null, keepBytes: 0, keepLimit: this.opts.keepLimit };
  }

  private record(d: Draft, consumed: number): void {
    this.records.set(d.headerOffset, {
      headerOffset: d.headerOffset,
      dataOffset: d.dataOffset,
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
        s.inf.write(c.subarray(0, take));
        if (s.left === 0) {
          const { inf, d, total } = s;
          inf.end();
          this.track(inf, () => {
            if (inf.ended && !inf.failed && inf.z.bytesWritten === total) this.record(d, total);
          });
          if (this.state === s) this.state = { k: 'header', start: this.offset, head: [], have: 0, need: 30 };
        }
        await this.room();
        return c.subarray(take);
      }
      case 'deflate-desc': {
        // Where the entry ends is guessed from the bytes (invariant 5), never awaited from zlib.
        const at = this.offset;
        const end = findDescriptorEnd(s.carry, c, at, s.dataStart);
        if (end === null) {
          s.inf.write(c);
          s.carry = tail(s.carry, c);
          this.offset += c.length;
          await this.room();
          return Buffer.alloc(0);
        }
        if (end.descriptor > at) s.inf.write(c.subarray(0, end.descriptor - at));
        const { inf, d } = s;
        const consumed = end.descriptor - s.dataStart;
        inf.end();
        this.track(inf, () => {
          if (inf.ended && !inf.failed && inf.z.bytesWritten === consumed) this.record(d, consumed);
        });
        if (end.next >= at) {
          this.offset = end.next;
          this.state = { k: 'header', start: end.next, head: [], have: 0, need: 30 };
          await this.room();
          return c.subarray(end.next - at);
        }
        // The next signature began in the bytes carried over from the previous chunk.
        const head = s.carry.subarray(s.carry.length - (at - end.next));
        this.state = { k: 'header', start: end.next, head: [head], have: head.length, need: 30 };
        await this.room();
        return c;
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
    const dataOffset = start + h.length;
    const d = this.newDraft(start, dataOffset, method, name);
    const next = () => ({ k: 'header' as const, start: this.offset, head: [], have: 0, need: 30 });
    if (method !== 0 && method !== 8) return this.stop();
    if (flags & 0x8) {
      // A stored entry with a descriptor has no findable end; a deflated one ends with its stream.
      if (method === 0) return this.stop();
      this.state = { k: 'deflate-desc', d, inf: this.inflater(d), dataStart: dataOffset, carry: Buffer.alloc(0) };
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
    const inf = this.inflater(d, usize);
    if (csize === 0) {
      inf.end();
      this.track(inf, () => {
        if (inf.ended && !inf.failed) this.record(d, 0);
      });
      this.state = next();
      return;
    }
    this.state = { k: 'deflate', d, left: csize, total: csize, inf };
  }

  private inflater(d: Draft, expectedSize = COALESCE): Inflater {
    const inf = new Inflater(d, this.countInflated, this.budget, expectedSize);
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

  /** Wait while too many finished-writing entries are still inflating, or too much input waits in zlib. */
  private async room(): Promise<void> {
    while (this.pending.size >= MAX_PENDING) await Promise.race(this.pending);
    await this.budget.room();
  }
}

/** The last CARRY bytes of `carry` followed by `c` (a copy of at most CARRY bytes). */
function tail(carry: Buffer, c: Buffer): Buffer {
  if (c.length >= CARRY) return Buffer.from(c.subarray(c.length - CARRY));
  return Buffer.concat([carry, c]).subarray(-CARRY);
}

/**
 * The end of a data-described entry whose data starts at `dataStart`, if the bytes show it:
 * the first position `next` where a local or central header signature begins right after a
 * data descriptor (`descriptor` = where that descriptor begins) whose compressed size is
 * exactly `descriptor - dataStart`. `c` holds the bytes from absolute offset `at`, `carry` the
 * (at most CARRY) bytes just before it that belong to the entry; only signatures ending in `c`
 * are considered (earlier ones were considered with the earlier chunk). Pure.
 */
export function findDescriptorEnd(carry: Buffer, c: Buffer, at: number, dataStart: number): { descriptor: number; next: number } | null {
  const byte = (pos: number): number => {
    const i = pos - at;
    if (i >= 0) return i < c.length ? c[i]! : -1;
    const j = carry.length + i;
    return j >= 0 ? carry[j]! : -1;
  };
  const u32 = (pos: number): number => (byte(pos) | (byte(pos + 1) << 8) | (byte(pos + 2) << 16) | (byte(pos + 3) << 24)) >>> 0;
  const whole = (pos: number, n: number) => pos >= dataStart && pos - at >= -carry.length && pos + n - at <= c.length;
  const isNext = (q: number) => whole(q, 4) && (u32(q) === LOCAL_SIG || u32(q) === CENTRAL_SIG);
  /** The descriptor that would end at q, with its compressed size equal to the data before it. */
  const descriptorBefore = (q: number): number | null => {
    for (const [len, signed, wide] of [[16, true, false], [24, true, true], [12, false, false], [20, false, true]] as const) {
      const p = q - len;
      if (!whole(p, len) || (signed && u32(p) !== DESCRIPTOR_SIG)) continue;
      const sizeAt = p + (signed ? 8 : 4);
      const size = wide ? u32(sizeAt) + u32(sizeAt + 4) * 2 ** 32 : u32(sizeAt);
      if (size === p - dataStart) return p;
    }
    return null;
  };
  let best: number | null = null;
  const consider = (q: number) => {
    if (best !== null && best <= q) return;
    if (isNext(q) && descriptorBefore(q) !== null) best = q;
  };
  // Signatures that straddle the boundary or look back into the carried bytes.
  for (let q = at - Math.min(3, carry.length); q < at + Math.min(24, c.length); q++) consider(q);
  // The rest, found by signature search (the descriptor then lies wholly inside `c`).
  for (const sig of [LOCAL_SIG_BYTES, CENTRAL_SIG_BYTES]) {
    for (let i = c.indexOf(sig, 24); i !== -1 && (best === null || at + i < best); i = c.indexOf(sig, i + 1)) consider(at + i);
  }
  return best === null ? null : { descriptor: descriptorBefore(best)!, next: best };
}
