import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32, createInflateRaw, inflateRawSync, type InflateRaw } from 'node:zlib';
import type { SpeculatedEntry } from '../../gomod/zip-check.js';

/**
 * Speculative one-pass reading of a module zip while its upload streams in, so the disk
 * write, the inflating and the hashing overlap instead of running one after the other
 * (docs/architecture.md §7.1). Invariants:
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
 *  4. The scanner never makes the upload wait: it reads the staged file behind the writer,
 *     only bytes the writer has reported written (`written`), so the file is the queue and
 *     the body streams to disk at its own pace (a located entry's bytes are all written). It follows the headers and hashes stored data
 *     as it reads; a deflated entry, once its bytes are all in, is an inflate job (at most
 *     RUNNING at once) that takes its bytes from memory when the entry was small (IN_HAND_MAX,
 *     at most IN_HAND_BUDGET held in all; a tiny one, INFLATE_NOW_MAX, is inflated at once)
 *     and otherwise reads them from the file again. Entries inflate side by side on the
 *     thread pool; while BACKLOG entries wait for a job, the scanner reads no further (the
 *     upload still does not wait: the file holds the rest). `finish` waits for the reading
 *     and the jobs.
 *  5. Memory is bounded: the file is read one READ_PIECE at a time into one reused buffer,
 *     headers are at most 30 + 2 × 65535 bytes, the entry being located holds at most
 *     IN_HAND_MAX, about BACKLOG jobs wait (a piece already read is followed to its end),
 *     holding IN_HAND_BUDGET in all (the rest read the file), a running job one READ_PIECE of
 *     input and one output chunk, only a go.mod-named entry's content is kept (≤ keepLimit
 *     bytes), and following (stored data) or inflating stops once either has produced more
 *     than `maxUncompressed` (a bomb is then left to the file path, which refuses it).
 *  6. An entry whose sizes follow it in a data descriptor ends, by the scanner's guess, at
 *     the first next-header signature that follows one of the four descriptor forms (with or
 *     without signature, 32- or 64-bit sizes) holding exactly the compressed size read so
 *     far. By 2 and 3 the guess decides only which records exist, never what one says: a
 *     wrong guess leaves the entry unrecorded, and the records found from the guessed header
 *     on are still true of their own offsets.
 */
export interface ZipStreamOptions {
  /** The staged file the zip is being written to (the scanner reads it back). */
  path: string;
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
/** Inflate jobs running at once: both cores, and a round trip's latency hidden behind another job. */
const RUNNING = 3;
/** Located entries waiting for a job before the scanner stops reading until one finishes. */
const BACKLOG = 1024;
/**
 * A held entry at most this large is inflated at once on this thread: a few microseconds,
 * where a thread-pool round trip costs tens (module zips are mostly small source files).
 */
const INFLATE_NOW_MAX = 8 << 10;
/** A deflated entry at most this large is inflated from memory in one zlib call. */
const IN_HAND_MAX = 1 << 20;
/** Bytes of finished small entries held for their jobs; past it, jobs read the staged file. */
const IN_HAND_BUDGET = 16 << 20;
/** Bytes read from the staged file at once (by the scanner and by jobs), and the largest output chunk. */
const READ_PIECE = 1 << 20;

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

/** A deflated entry whose bytes have all arrived: what its inflate job needs. */
interface InflateJob {
  headerOffset: number;
  dataOffset: number;
  consumed: number;
  /** Declared uncompressed size, 0 when a data descriptor follows (sizes the output chunks only). */
  declared: number;
  keep: boolean;
  /** The compressed bytes, when small enough to be held; otherwise they are read from the file. */
  inHand: Buffer | null;
}

/** What the scanner holds of the deflated entry it is locating. */
interface Located {
  headerOffset: number;
  dataOffset: number;
  declared: number;
  keep: boolean;
  hand: Buffer[] | null;
  handBytes: number;
}

type State =
  | { k: 'header'; start: number; head: Buffer[]; have: number; need: number }
  | { k: 'stored'; d: Draft; left: number; total: number }
  | { k: 'deflate'; e: Located; left: number; total: number }
  | { k: 'deflate-desc'; e: Located; carry: Buffer }
  | { k: 'off' };

function absorb(d: Draft, c: Buffer): void {
  d.size += c.length;
  d.crc = crc32(c, d.crc);
  d.hash.update(c);
  if (d.keep) {
    d.keepBytes += c.length;
    if (d.keepBytes <= d.keepLimit) d.keep.push(Buffer.from(c)); // `c` may be a reused read buffer
    else d.keep = null;
  }
}

/**
 * The staged file as the writer reports it, read by the scanner and its jobs. Only written
 * bytes are ever read: the scanner reads up to `mark`, and a job's bytes are behind the scanner.
 */
class StagedFile {
  /** Bytes of the zip in the file. */
  mark = 0;
  private handle: Promise<FileHandle> | null = null;

  constructor(private readonly path: string) {}

  /** Note the writer's progress; false when it is no progress. */
  written(total: number): boolean {
    if (total <= this.mark) return false;
    this.mark = total;
    return true;
  }

  /** Exactly `piece.length` bytes at `pos`. */
  async read(piece: Buffer, pos: number): Promise<void> {
    const fh = await (this.handle ??= open(this.path, 'r'));
    if ((await fh.read(piece, 0, piece.length, pos)).bytesRead !== piece.length) throw new Error('the staged file is shorter than written');
  }

  /** Close the handle (after any read in progress). */
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h) await h.then((fh) => fh.close()).catch(() => undefined);
  }
}

/**
 * Follows the local headers of the zip in the staged file (invariants 4–6): hashes stored
 * entries into records as it reads, and hands each deflated entry, once located, to its
 * inflate jobs.
 */
export class ZipStreamScanner {
  private state: State = { k: 'header', start: 0, head: [], have: 0, need: 30 };
  /** Absolute offset of the next byte the scanner will process (it has read the file up to there). */
  private offset = 0;
  private readonly records = new Map<number, SpeculatedEntry>();
  private inflated = 0;
  private closed = false;
  private reading: Promise<void> | null = null;
  private readonly file: StagedFile;
  private buffer: Buffer | null = null;
  private readonly jobs: InflateJobs;

  constructor(private readonly opts: ZipStreamOptions) {
    this.file = new StagedFile(opts.path);
    this.jobs = new InflateJobs(opts, this.file, () => this.pull());
  }

  /** The first `total` bytes of the zip are in the staged file (the upload never waits for the scanner). */
  written(total: number): void {
    if (!this.closed && this.file.written(total)) this.pull();
  }

  /** The body is complete and written: wait for the reading and the jobs, return the records (by local header offset). */
  async finish(): Promise<Map<number, SpeculatedEntry>> {
    try {
      // Read to the end of what was written (pausing while the backlog is full).
      while (this.offset < this.file.mark && !this.stopped()) {
        this.pull();
        await (this.reading ?? this.jobs.room());
      }
      // An entry still open at the end never completed; finished entries' jobs run to the end.
      this.stop();
      for (const [at, r] of await this.jobs.finish()) this.records.set(at, r);
      return this.records;
    } catch {
      return new Map(); // never fail an upload over a speculation: the file path reads it all
    } finally {
      this.closed = true;
      await this.file.close();
    }
  }

  /** Abandon everything (the upload failed); never throws. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.jobs.abort();
    void this.file.close();
  }

  /** Scan no further; entries already located are inflated (unless aborted). */
  private stop(): void {
    this.state = { k: 'off' };
  }

  /** Read what the writer has written since the last read, and follow it (invariant 4). */
  private async read(): Promise<void> {
    try {
      while (this.offset < this.file.mark && !this.stopped() && !this.closed && !this.jobs.full()) {
        const s = this.state;
        if (s.k === 'deflate' && !s.e.hand) {
          // A deflated entry of known size not held in memory: its job reads it later.
          this.pass(s, Math.min(s.left, this.file.mark - this.offset));
          continue;
        }
        const n = Math.min(READ_PIECE, this.file.mark - this.offset);
        // One buffer, reused (64 KiB for a small zip, else READ_PIECE): what the steps keep of a piece they copy.
        if (!this.buffer || this.buffer.length < n) this.buffer = Buffer.allocUnsafeSlow(n <= 64 << 10 ? 64 << 10 : READ_PIECE);
        const piece = this.buffer.subarray(0, n);
        await this.file.read(piece, this.offset);
        for (let c: Buffer = piece; c.length && !this.stopped(); ) c = this.step(c);
      }
    } catch {
      this.stop(); // a scanner bug must never fail an upload: the file path reads the rest
    }
  }

  /** Start reading unless a read is under way or the backlog is full (the jobs call again when it is not). */
  private pull(): void {
    if (this.reading || this.closed || this.stopped() || this.offset >= this.file.mark || this.jobs.full()) return;
    this.reading = this.read().finally(() => {
      this.reading = null;
      this.pull(); // more may have been written while the last piece was read
    });
  }

  private stopped(): boolean {
    return this.state.k === 'off';
  }

  /** Process a prefix of `c` (absolute offset this.offset); return the rest. */
  private step(c: Buffer): Buffer {
    const s = this.state;
    switch (s.k) {
      case 'header': {
        const take = Math.min(s.need - s.have, c.length);
        s.head.push(Buffer.from(c.subarray(0, take)));
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
          this.nextHeader(this.offset);
        }
        return c.subarray(take);
      }
      case 'deflate': {
        const take = Math.min(s.left, c.length);
        hold(s.e, c.subarray(0, take));
        this.pass(s, take);
        return c.subarray(take);
      }
      case 'deflate-desc': {
        // Where the entry ends is guessed from the bytes (invariant 6).
        const at = this.offset;
        const end = findDescriptorEnd(s.carry, c, at, s.e.dataOffset);
        if (end === null) {
          hold(s.e, c);
          s.carry = tail(s.carry, c);
          this.offset += c.length;
          return Buffer.alloc(0);
        }
        // A descriptor that began in carried bytes leaves more held than the data: the job reads the file.
        if (end.descriptor > at) hold(s.e, c.subarray(0, end.descriptor - at));
        this.located(s.e, end.descriptor - s.e.dataOffset);
        if (end.next >= at) {
          this.offset = end.next;
          this.nextHeader(end.next);
          return c.subarray(end.next - at);
        }
        // The next signature began in the bytes carried over from the previous chunk.
        const head = s.carry.subarray(s.carry.length - (at - end.next));
        this.state = { k: 'header', start: end.next, head: [head], have: head.length, need: 30 };
        return c;
      }
      case 'off':
        return Buffer.alloc(0);
    }
  }

  /** Move `n` bytes through a deflated entry of known size; at its end, queue its job. */
  private pass(s: Extract<State, { k: 'deflate' }>, n: number): void {
    s.left -= n;
    this.offset += n;
    if (s.left === 0) {
      this.located(s.e, s.total);
      this.nextHeader(this.offset);
    }
  }

  private nextHeader(start: number): void {
    if (this.state.k !== 'off') this.state = { k: 'header', start, head: [], have: 0, need: 30 };
  }

  private beginEntry(start: number, h: Buffer): void {
    const flags = h.readUInt16LE(6);
    const method = h.readUInt16LE(8);
    const csize = h.readUInt32LE(18);
    const usize = h.readUInt32LE(22);
    const name = h.subarray(30, 30 + h.readUInt16LE(26));
    const dataOffset = start + h.length;
    const keep = name.equals(this.opts.keepName);
    if (method !== 0 && method !== 8) return this.stop();
    const located = (held: boolean): Located => ({ headerOffset: start, dataOffset, declared: usize, keep, hand: held ? [] : null, handBytes: 0 });
    if (flags & 0x8) {
      // A stored entry with a descriptor has no findable end; a deflated one ends with its stream.
      if (method === 0) return this.stop();
      this.state = { k: 'deflate-desc', e: { ...located(true), declared: 0 }, carry: Buffer.alloc(0) };
      return;
    }
    if (csize === 0xffffffff || usize === 0xffffffff) return this.stop(); // ZIP64 sizes: leave to the file path
    if (method === 8) {
      const e = located(csize <= IN_HAND_MAX);
      if (csize > 0) this.state = { k: 'deflate', e, left: csize, total: csize };
      else {
        this.located(e, 0);
        this.nextHeader(this.offset);
      }
      return;
    }
    const d = newDraft(start, dataOffset, 0, keep, this.opts.keepLimit);
    if (csize === 0) {
      this.record(d, 0);
      this.nextHeader(this.offset);
    } else this.state = { k: 'stored', d, left: csize, total: csize };
  }

  private record(d: Draft, consumed: number): void {
    this.records.set(d.headerOffset, finishDraft(d, consumed));
  }

  private countInflated(n: number): void {
    this.inflated += n;
    if (this.inflated > this.opts.maxUncompressed) this.stop();
  }

  /** A deflated entry's bytes are all in: hand it to its inflate job (invariant 4). */
  private located(e: Located, consumed: number): void {
    const inHand = e.hand && e.handBytes === consumed ? (e.hand.length === 1 ? e.hand[0]! : Buffer.concat(e.hand, consumed)) : null;
    e.hand = null;
    this.jobs.add({ headerOffset: e.headerOffset, dataOffset: e.dataOffset, consumed, declared: e.declared, keep: e.keep, inHand });
  }
}

function newDraft(headerOffset: number, dataOffset: number, method: number, keep: boolean, keepLimit: number): Draft {
  return { headerOffset, dataOffset, method, size: 0, crc: 0, hash: createHash('sha256'), keep: keep ? [] : null, keepBytes: 0, keepLimit };
}

function finishDraft(d: Draft, consumed: number): SpeculatedEntry {
  return {
    headerOffset: d.headerOffset,
    dataOffset: d.dataOffset,
    method: d.method,
    consumed,
    size: d.size,
    crc: d.crc >>> 0,
    sha256: d.hash.digest('hex'),
    content: d.keep ? Buffer.concat(d.keep) : null,
  };
}

/**
 * Inflates located deflated entries into records (invariant 3), RUNNING at a time, from
 * memory or from the staged file.
 */
class InflateJobs {
  private readonly records = new Map<number, SpeculatedEntry>();
  /** Jobs not started yet: waiting[next] onwards (shift() would copy the array each time). */
  private waiting: InflateJob[] = [];
  private next = 0;
  private running = 0;
  private rooms: (() => void)[] = [];
  private readonly inflaters = new Set<InflateRaw>();
  private handHeld = 0;
  private idle: (() => void)[] = [];
  private inflated = 0;
  private closed = false;

  constructor(
    private readonly opts: ZipStreamOptions,
    private readonly file: StagedFile,
    /** Called when the backlog has room again. */
    private readonly onRoom: () => void,
  ) {}

  private get backlog(): number {
    return this.waiting.length - this.next;
  }

  /** Enough entries wait for a job: locate no more for now. */
  full(): boolean {
    return this.backlog >= BACKLOG;
  }

  /** Resolves once the backlog has room (at once if it has). */
  room(): Promise<void> {
    if (!this.full() || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.rooms.push(resolve));
  }

  add(job: InflateJob): void {
    if (this.closed) return;
    if (job.inHand && job.consumed <= INFLATE_NOW_MAX) return this.inflateNow(job, job.inHand);
    // Held bytes count against IN_HAND_BUDGET until the job ends; past it, the job reads the file.
    if (job.inHand && this.handHeld + job.consumed > IN_HAND_BUDGET) job = { ...job, inHand: null };
    if (job.inHand) this.handHeld += job.consumed;
    this.waiting.push(job);
    this.pump();
  }

  /** Every job added has run: the records. */
  async finish(): Promise<Map<number, SpeculatedEntry>> {
    while (this.running || this.backlog) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.closed = true;
    return this.records;
  }

  abort(): void {
    this.closed = true;
    this.drop();
  }

  /** Run no more jobs; the running ones end without a record. */
  private drop(): void {
    for (const job of this.waiting.slice(this.next)) if (job.inHand) this.handHeld -= job.consumed;
    this.waiting = [];
    this.next = 0;
    for (const z of this.inflaters) z.destroy();
    this.settleIfIdle();
    this.roomAgain();
  }

  private roomAgain(): void {
    const r = this.rooms;
    this.rooms = [];
    for (const go of r) go();
    if (!this.closed) this.onRoom();
  }

  private countInflated(n: number): void {
    this.inflated += n;
    if (this.inflated > this.opts.maxUncompressed) this.abort(); // a bomb: left to the file path
  }

  private pump(): void {
    while (this.running < RUNNING && this.backlog && !this.closed) {
      const wasFull = this.full();
      const job = this.waiting[this.next++]!;
      if (this.next > 1024 && this.next * 2 > this.waiting.length) {
        this.waiting = this.waiting.slice(this.next);
        this.next = 0;
      }
      if (wasFull) this.roomAgain();
      this.running++;
      void this.run(job)
        .catch(() => undefined) // no record: the file path reads the entry
        .finally(() => {
          this.running--;
          if (job.inHand) this.handHeld -= job.consumed;
          this.pump();
          this.settleIfIdle();
        });
    }
  }

  private settleIfIdle(): void {
    if (this.running || this.backlog) return;
    const w = this.idle;
    this.idle = [];
    for (const r of w) r();
  }

  /** Inflate a tiny held entry on this thread, at once (the checks are run()'s). */
  private inflateNow(job: InflateJob, bytes: Buffer): void {
    let out;
    try {
      // Past what is left of the budget the entry is a bomb: no record (the file path refuses it).
      const chunkSize = Math.min(64 << 10, Math.max(1024, job.declared || job.consumed * 4)); // zlib's default is 16 KiB per call
      const maxOutputLength = Math.max(1, this.opts.maxUncompressed - this.inflated + 1);
      const { buffer, engine } = inflateRawSync(bytes, { info: true, chunkSize, maxOutputLength }) as unknown as { buffer: Buffer; engine: InflateRaw };
      if (engine.bytesWritten !== job.consumed) return;
      out = buffer;
    } catch {
      return; // not a complete deflate stream: no record
    }
    this.countInflated(out.length);
    if (this.closed) return;
    const d = newDraft(job.headerOffset, job.dataOffset, 8, job.keep, this.opts.keepLimit);
    absorb(d, out);
    this.records.set(job.headerOffset, finishDraft(d, job.consumed));
  }

  /** Inflate one entry into a record, from memory or from the staged file. */
  private async run(job: InflateJob): Promise<void> {
    const d = newDraft(job.headerOffset, job.dataOffset, 8, job.keep, this.opts.keepLimit);
    // Each filled output chunk is a round trip to the thread pool: as large as the entry's
    // content, which a declared size tells (a lie only cuts the output differently) and a
    // descriptor entry's compressed size suggests (text deflates to a third or a quarter).
    const expected = job.declared || job.consumed * 4;
    const z = createInflateRaw({ chunkSize: Math.min(READ_PIECE, Math.max(16 << 10, expected)) });
    this.inflaters.add(z);
    z.on('data', (c: Buffer) => {
      absorb(d, c);
      this.countInflated(c.length);
    });
    const ended = new Promise<boolean>((resolve) => {
      z.on('end', () => resolve(true));
      z.on('error', () => resolve(false));
      z.on('close', () => resolve(false));
    });
    try {
      if (job.inHand) z.end(job.inHand);
      else await this.inflateFromFile(z, job, ended);
      if ((await ended) && z.bytesWritten === job.consumed && !this.closed) this.records.set(job.headerOffset, finishDraft(d, job.consumed));
    } finally {
      this.inflaters.delete(z);
      z.destroy();
    }
  }

  /** Hand zlib the entry's bytes from the staged file, a piece at a time: the next once zlib has taken this one (or stopped early). */
  private async inflateFromFile(z: InflateRaw, job: InflateJob, ended: Promise<boolean>): Promise<void> {
    const end = job.dataOffset + job.consumed;
    let pos = job.dataOffset;
    // One buffer for the job: zlib is done with a piece when it calls back for it.
    const buffer = Buffer.allocUnsafeSlow(Math.min(READ_PIECE, job.consumed));
    for (;;) {
      const n = Math.min(READ_PIECE, end - pos);
      if (z.destroyed || this.closed) return;
      const piece = buffer.subarray(0, n);
      await this.file.read(piece, pos);
      pos += n;
      if (pos >= end) return void z.end(piece);
      const taken = new Promise<boolean>((resolve) => z.write(piece, () => resolve(true)));
      if (!(await Promise.race([taken, ended.then(() => false)]))) return;
    }
  }
}

/** Keep `c` (part of a deflated entry's data) in memory while the entry stays small enough. */
function hold(e: Located, c: Buffer): void {
  if (!e.hand || c.length === 0) return;
  e.handBytes += c.length;
  if (e.handBytes > IN_HAND_MAX) e.hand = null;
  else e.hand.push(Buffer.from(c)); // `c` is part of a reused read buffer
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
