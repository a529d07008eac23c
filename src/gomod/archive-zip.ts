import type { FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';

/**
 * A zip reader that sees exactly what Go's archive/zip (go1.19 reader.go) sees, because the
 * registry must accept a module zip exactly when `go` does. Invariants:
 *
 *  1. Names are the central directory's raw bytes: no decoding, no `\` rewriting, no
 *     Info-ZIP Unicode Path (0x7075) override, UTF-8 flag ignored. Local headers contribute
 *     only their signature and the lengths that locate the data.
 *  2. The end record is found, ZIP64 records and extras are consulted, and offsets are
 *     re-based exactly as Go does — including its quirks (the 0xffff size test, the retry at
 *     base offset 0, comparing only the low 16 bits of the entry count, ignoring ZIP64 extras
 *     whose classic field is not maxed out). 64-bit fields stay bigint, with Go's int64
 *     wrap-around, so no lie in them is rounded away.
 *  3. Reading an entry fails exactly when Go's File.Open + checksumReader would: unknown
 *     method, bad local signature, more or fewer bytes than the declared size, a data
 *     descriptor whose CRC differs, or a CRC mismatch (not checked when the CRC field is 0 and
 *     there is no descriptor — as Go). Data is streamed; nothing is buffered whole.
 */
export class ZipFormatError extends Error {}

export interface ZipEntry {
  /** Raw name bytes. */
  name: Buffer;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: bigint;
  uncompressedSize: bigint;
  /** int64 offset of the local header, base offset included (may be negative: Go fails to read it). */
  headerOffset: bigint;
}

const INT64_MAX = (1n << 63n) - 1n;
const i64 = (n: bigint) => BigInt.asIntN(64, n);

/** pread of exactly `length` bytes at `pos`, or an error as Go's ReadAt gives one (negative offset, EOF). */
async function readAt(fh: FileHandle, size: number, pos: bigint, length: number): Promise<Buffer> {
  if (pos < 0n) throw new ZipFormatError('negative offset');
  if (pos + BigInt(length) > BigInt(size)) throw new ZipFormatError('unexpected EOF');
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, Number(pos) + got);
    if (bytesRead === 0) throw new ZipFormatError('unexpected EOF');
    got += bytesRead;
  }
  return buf;
}

interface DirectoryEnd {
  records: bigint;
  size: bigint;
  offset: bigint;
}

function findSignatureInBlock(b: Buffer): number {
  for (let i = b.length - 22; i >= 0; i--) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) {
      const n = b.readUInt16LE(i + 20);
      if (n + 22 + i <= b.length) return i;
    }
  }
  return -1;
}

async function readDirectoryEnd(fh: FileHandle, size: number): Promise<{ end: DirectoryEnd; baseOffset: bigint }> {
  let buf: Buffer | null = null;
  let endOffset = 0n;
  const lens = [1024, 65 * 1024];
  for (let i = 0; i < lens.length; i++) {
    const bLen = Math.min(lens[i]!, size);
    const block = await readAt(fh, size, BigInt(size - bLen), bLen);
    const p = findSignatureInBlock(block);
    if (p >= 0) {
      buf = block.subarray(p);
      endOffset = BigInt(size - bLen + p);
      break;
    }
    if (i === 1 || bLen === size) throw new ZipFormatError('no end of central directory record');
  }
  const b = buf!;
  const end: DirectoryEnd = { records: BigInt(b.readUInt16LE(10)), size: BigInt(b.readUInt32LE(12)), offset: BigInt(b.readUInt32LE(16)) };
  // Go's test (0xffff for the 32-bit size is its own quirk, kept).
  if (end.records === 0xffffn || end.size === 0xffffn || end.offset === 0xffffffffn) {
    const p = await findDirectory64End(fh, size, endOffset);
    if (p >= 0n) {
      endOffset = p;
      const d = await readAt(fh, size, p, 56);
      if (d.readUInt32LE(0) !== 0x06064b50) throw new ZipFormatError('bad ZIP64 end of central directory record');
      end.records = d.readBigUInt64LE(32);
      end.size = d.readBigUInt64LE(40);
      end.offset = d.readBigUInt64LE(48);
    }
  }
  const baseOffset = i64(endOffset - i64(end.size) - i64(end.offset));
  const o = i64(baseOffset + i64(end.offset));
  if (o < 0n || o >= BigInt(size)) throw new ZipFormatError('central directory offset is outside the file');
  return { end, baseOffset };
}

async function findDirectory64End(fh: FileHandle, size: number, endOffset: bigint): Promise<bigint> {
  const loc = endOffset - 20n;
  if (loc < 0n) return -1n;
  const b = await readAt(fh, size, loc, 20);
  if (b.readUInt32LE(0) !== 0x07064b50) return -1n;
  if (b.readUInt32LE(4) !== 0) return -1n;
  const p = i64(b.readBigUInt64LE(8));
  if (b.readUInt32LE(16) !== 1) return -1n;
  return p;
}

/** Sequential reads from one offset, with io.ReadFull's outcomes: ok, EOF (nothing left) or unexpected EOF. */
class SequentialReader {
  private buf = Buffer.alloc(0);
  private pos: number;
  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    start: number,
  ) {
    this.pos = start;
  }
  async readFull(n: number): Promise<Buffer | 'EOF' | 'UNEXPECTED_EOF'> {
    while (this.buf.length < n && this.pos < this.size) {
      const want = Math.min(Math.max(n - this.buf.length, 64 * 1024), this.size - this.pos);
      const chunk = Buffer.alloc(want);
      const { bytesRead } = await this.fh.read(chunk, 0, want, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    }
    if (n === 0) return Buffer.alloc(0);
    if (this.buf.length === 0) return 'EOF';
    if (this.buf.length < n) {
      this.buf = Buffer.alloc(0);
      return 'UNEXPECTED_EOF';
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

type HeaderResult = ZipEntry | 'FORMAT' | 'UNEXPECTED_EOF' | 'EOF';

async function readDirectoryHeader(r: SequentialReader): Promise<HeaderResult> {
  const h = await r.readFull(46);
  if (typeof h === 'string') return h;
  if (h.readUInt32LE(0) !== 0x02014b50) return 'FORMAT';
  const nameLen = h.readUInt16LE(28);
  const extraLen = h.readUInt16LE(30);
  const commentLen = h.readUInt16LE(32);
  const d = await r.readFull(nameLen + extraLen + commentLen);
  if (typeof d === 'string') return d;
  const compressed32 = h.readUInt32LE(20);
  const uncompressed32 = h.readUInt32LE(24);
  const offset32 = h.readUInt32LE(42);
  const e: ZipEntry = {
    name: Buffer.from(d.subarray(0, nameLen)), // a copy: entries must not pin extra fields and comments
    flags: h.readUInt16LE(8),
    method: h.readUInt16LE(10),
    crc32: h.readUInt32LE(16),
    compressedSize: BigInt(compressed32),
    uncompressedSize: BigInt(uncompressed32),
    headerOffset: BigInt(offset32),
  };
  let needU = uncompressed32 === 0xffffffff;
  let needC = compressed32 === 0xffffffff;
  let needOff = offset32 === 0xffffffff;
  let extra = d.subarray(nameLen, nameLen + extraLen);
  while (extra.length >= 4) {
    const tag = extra.readUInt16LE(0);
    const fieldSize = extra.readUInt16LE(2);
    extra = extra.subarray(4);
    if (extra.length < fieldSize) break;
    let field = extra.subarray(0, fieldSize);
    extra = extra.subarray(fieldSize);
    if (tag !== 0x0001) continue; // only ZIP64 matters; time fields cannot fail
    const take = (): bigint | null => {
      if (field.length < 8) return null;
      const v = field.readBigUInt64LE(0);
      field = field.subarray(8);
      return v;
    };
    if (needU) {
      needU = false;
      const v = take();
      if (v === null) return 'FORMAT';
      e.uncompressedSize = v;
    }
    if (needC) {
      needC = false;
      const v = take();
      if (v === null) return 'FORMAT';
      e.compressedSize = v;
    }
    if (needOff) {
      needOff = false;
      const v = take();
      if (v === null) return 'FORMAT';
      e.headerOffset = i64(v);
    }
  }
  // An uncompressed size of 0xffffffff without ZIP64 is taken at face value, as Go does.
  if (needC || needOff) return 'FORMAT';
  return e;
}

/** zip.NewReader: the entries Go lists for this file, or ZipFormatError where Go fails. */
export async function readCentralDirectory(fh: FileHandle, size: number): Promise<ZipEntry[]> {
  const { end, baseOffset: base0 } = await readDirectoryEnd(fh, size);
  let baseOffset = base0;
  let reader = new SequentialReader(fh, size, Number(i64(baseOffset + i64(end.offset))));
  const entries: ZipEntry[] = [];
  let last: HeaderResult;
  for (;;) {
    last = await readDirectoryHeader(reader);
    if (last === 'FORMAT' && baseOffset !== 0n && entries.length === 0) {
      baseOffset = 0n;
      const start = i64(end.offset);
      if (start < 0n) throw new ZipFormatError('central directory offset is negative');
      reader = new SequentialReader(fh, size, start > BigInt(size) ? size : Number(start));
      continue;
    }
    if (last === 'FORMAT' || last === 'UNEXPECTED_EOF') break;
    if (last === 'EOF') throw new ZipFormatError('central directory runs to the end of the file');
    last.headerOffset = i64(last.headerOffset + baseOffset);
    entries.push(last);
  }
  if ((entries.length & 0xffff) !== Number(end.records & 0xffffn)) {
    throw new ZipFormatError(last === 'FORMAT' ? 'central directory entry count does not match its records' : 'central directory is truncated');
  }
  return entries;
}

const CHUNK = 256 * 1024;

async function* section(fh: FileHandle, size: number, start: bigint, limit: bigint): AsyncGenerator<Buffer> {
  let pos = start;
  const end = limit < BigInt(size) ? limit : BigInt(size);
  while (pos < end) {
    const n = Number(end - pos < BigInt(CHUNK) ? end - pos : BigInt(CHUNK));
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, Number(pos));
    if (bytesRead === 0) return;
    pos += BigInt(bytesRead);
    yield bytesRead === n ? buf : buf.subarray(0, bytesRead);
  }
}

/**
 * File.Open + read to EOF: calls onData with every decompressed chunk and resolves when the
 * entry was read the way Go reads it without error; rejects with ZipFormatError otherwise.
 * `stop` is checked between chunks so a caller can abandon work once the verdict is known.
 */
export async function readEntry(fh: FileHandle, size: number, e: ZipEntry, onData: (chunk: Buffer) => void, stop: () => boolean = () => false): Promise<void> {
  const start = await entryDataStart(fh, size, e);
  const n = i64(e.compressedSize);
  // io.NewSectionReader: an overflowing end means "to the end of the file".
  const limit = start <= INT64_MAX - n ? start + n : INT64_MAX;
  if (e.method !== 0 && e.method !== 8) throw new ZipFormatError(`unsupported compression method ${e.method}`);

  let nread = 0n;
  let crc = 0;
  let callerError: unknown = null;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (stop()) return cb(new ZipFormatError('abandoned'));
      nread += BigInt(chunk.length);
      if (nread > e.uncompressedSize) return cb(new ZipFormatError('entry is larger than its declared size'));
      crc = crc32(chunk, crc);
      try {
        onData(chunk);
      } catch (err) {
        callerError = err;
        return cb(err as Error);
      }
      cb();
    },
  });
  const source = Readable.from(section(fh, size, start, limit), { objectMode: false });
  try {
    if (e.method === 8) await pipeline(source, createInflateRaw(), sink);
    else await pipeline(source, sink);
  } catch (err) {
    if (callerError !== null) throw callerError;
    if (err instanceof ZipFormatError) throw err;
    throw new ZipFormatError(`corrupt compressed data: ${(err as Error).message}`);
  }
  await checkEntryEnd(fh, size, e, start, nread, crc);
}

/** Where the entry's data starts (io.SectionReader's base), from the local header, as File.Open finds it. */
export async function entryDataStart(fh: FileHandle, size: number, e: ZipEntry): Promise<bigint> {
  const local = await readAt(fh, size, e.headerOffset, 30).catch(() => null);
  if (!local) throw new ZipFormatError('local file header is outside the file');
  if (local.readUInt32LE(0) !== 0x04034b50) throw new ZipFormatError('bad local file header signature');
  return i64(e.headerOffset + BigInt(30 + local.readUInt16LE(26) + local.readUInt16LE(28)));
}

/**
 * checksumReader at EOF, once `nread` bytes with CRC `crc` came out of the entry whose data
 * starts at `start`: the size must be the declared one, the data descriptor (when flagged)
 * must be there with the same CRC, and the CRC must match.
 */
export async function checkEntryEnd(fh: FileHandle, size: number, e: ZipEntry, start: bigint, nread: bigint, crc: number): Promise<void> {
  if (!(e.flags & 0x8)) return checkEntryEndInPlace(e, nread, crc);
  if (nread !== e.uncompressedSize) throw new ZipFormatError('entry is shorter than its declared size');
  // The data descriptor follows the compressed data; its signature is optional.
  const at = i64(start + i64(e.compressedSize));
  const first = await readAt(fh, size, at, 4).catch(() => null);
  if (!first) throw new ZipFormatError('data descriptor is missing');
  const hasSig = first.readUInt32LE(0) === 0x08074b50;
  const rest = await readAt(fh, size, at + 4n, hasSig ? 12 : 8).catch(() => null);
  if (!rest) throw new ZipFormatError('data descriptor is truncated');
  const descCrc = hasSig ? rest.readUInt32LE(0) : first.readUInt32LE(0);
  if (descCrc !== e.crc32 || crc !== e.crc32) throw new ZipFormatError('checksum error');
}

/** checkEntryEnd of an entry without a data descriptor, which reads nothing: the same checks, at once. */
export function checkEntryEndInPlace(e: ZipEntry, nread: bigint, crc: number): void {
  if (e.flags & 0x8) throw new Error('checkEntryEndInPlace: the entry has a data descriptor to read');
  if (nread !== e.uncompressedSize) throw new ZipFormatError('entry is shorter than its declared size');
  if (e.crc32 !== 0 && crc !== e.crc32) throw new ZipFormatError('checksum error');
}
