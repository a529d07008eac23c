import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw as deflateRawCb, constants as zc } from 'node:zlib';

/**
 * A streaming ZIP writer for module zips, built for throughput on small files.
 *
 * Invariants:
 *  - entries are written in the order given; only file entries (no directories), each with
 *    the DOS time 1980-01-01 00:00 (h1 ignores times; fixed times make zips reproducible);
 *  - small files are read, CRC'd, hashed and deflated AHEAD of the writer, concurrently on
 *    libuv's thread pool, within a bounded window (IN_FLIGHT_FILES / IN_FLIGHT_BYTES), so
 *    compression uses every core while memory stays bounded;
 *  - files over STREAM_THRESHOLD are streamed through one deflater with a data descriptor
 *    (general purpose bit 3), never held whole in memory;
 *  - a file that does not shrink is STORED; `go` reads both methods, and h1 hashes the
 *    uncompressed bytes, so the method never changes the module's hash;
 *  - every file's sha256 is taken from the very bytes that are compressed;
 *  - ZIP64 end records are written when the entry count or an offset needs them.
 */
export const IN_FLIGHT_FILES = 32;
export const IN_FLIGHT_BYTES = 24 << 20;
export const STREAM_THRESHOLD = 8 << 20;

const deflateRaw = promisify(deflateRawCb);
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
}

interface Prepared {
  method: 0 | 8;
  crc: number;
  sha256: string;
  size: number;
  data: Buffer;
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

async function prepare(input: ZipInput): Promise<Prepared> {
  const raw = await readFile(input.path);
  if (raw.length !== input.size) throw new Error(`${input.path} changed size while zipping (${input.size} → ${raw.length})`);
  const sha256 = createHash('sha256').update(raw).digest('hex');
  const crc = crc32(raw);
  if (raw.length === 0) return { method: 0, crc, sha256, size: 0, data: raw };
  const deflated = await deflateRaw(raw, { level: zc.Z_DEFAULT_COMPRESSION });
  return deflated.length < raw.length ? { method: 8, crc, sha256, size: raw.length, data: deflated } : { method: 0, crc, sha256, size: raw.length, data: raw };
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

function centralHeader(e: CentralEntry): Buffer {
  const zip64 = e.offset > MAX32;
  const extra = zip64 ? Buffer.alloc(12) : Buffer.alloc(0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(e.offset), 4);
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | VERSION_NEEDED_ZIP64, 4); // made by: unix
  h.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6);
  h.writeUInt16LE(e.flags, 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(DOS_TIME_0, 12);
  h.writeUInt16LE(DOS_DATE_1980, 14);
  h.writeUInt32LE(e.crc >>> 0, 16);
  h.writeUInt32LE(e.compressed, 20);
  h.writeUInt32LE(e.size, 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt16LE(0, 32); // comment
  h.writeUInt16LE(0, 34); // disk
  h.writeUInt16LE(0, 36); // internal attrs
  h.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // external attrs: regular file 0644
  h.writeUInt32LE(zip64 ? MAX32 : e.offset, 42);
  return Buffer.concat([h, e.name, extra]);
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
export async function writeZip(inputs: ZipInput[], outPath: string): Promise<ZipResult> {
  const fh: FileHandle = await open(outPath, 'w');
  let offset = 0;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!pendingBytes) return;
    const chunks = pending.splice(0);
    pendingBytes = 0;
    await fh.writev(chunks);
  };
  const write = async (b: Buffer) => {
    pending.push(b);
    pendingBytes += b.length;
    offset += b.length;
    if (pendingBytes >= 1 << 20) await flush();
  };

  const central: CentralEntry[] = [];
  const sha256: string[] = new Array(inputs.length);
  // The read-ahead window: prepared[i] is started while earlier entries are written.
  const prepared = new Map<number, Promise<Prepared>>();
  let next = 0;
  let bytesAhead = 0;
  const fill = (current: number) => {
    while (next < inputs.length && next - current < IN_FLIGHT_FILES) {
      const inp = inputs[next]!;
      if (inp.size > STREAM_THRESHOLD) {
        next++;
        continue;
      }
      if (bytesAhead + inp.size > IN_FLIGHT_BYTES && next > current) break;
      bytesAhead += inp.size;
      const p = prepare(inp);
      p.catch(() => {}); // surfaced when awaited in order
      prepared.set(next, p);
      next++;
    }
  };

  try {
    for (let i = 0; i < inputs.length; i++) {
      fill(i);
      const inp = inputs[i]!;
      const name = Buffer.from(inp.name, 'utf8');
      const entryOffset = offset;
      const p = prepared.get(i);
      if (p) {
        const r = await p;
        prepared.delete(i);
        bytesAhead -= inp.size;
        sha256[i] = r.sha256;
        await write(localHeader(name, r.method, UTF8_FLAG, r.crc, r.data.length, r.size));
        await write(r.data);
        central.push({ name, method: r.method, flags: UTF8_FLAG, crc: r.crc, compressed: r.data.length, size: r.size, offset: entryOffset });
        continue;
      }
      // Large file: stream it through a deflater, sizes and CRC in a data descriptor.
      await write(localHeader(name, 8, UTF8_FLAG | DESCRIPTOR_FLAG, 0, 0, 0));
      await flush();
      const hash = createHash('sha256');
      let crc = 0;
      let size = 0;
      let compressed = 0;
      const deflater = createDeflateRaw({ level: zc.Z_DEFAULT_COMPRESSION });
      const drained = (async () => {
        for await (const chunk of deflater as AsyncIterable<Buffer>) {
          compressed += chunk.length;
          await write(chunk);
        }
      })();
      for await (const chunk of createReadStream(inp.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        crc = crc32(chunk, crc);
        size += chunk.length;
        if (!deflater.write(chunk)) await new Promise((r) => deflater.once('drain', r));
      }
      deflater.end();
      await drained;
      if (size !== inp.size) throw new Error(`${inp.path} changed size while zipping (${inp.size} → ${size})`);
      const desc = Buffer.alloc(16);
      desc.writeUInt32LE(0x08074b50, 0);
      desc.writeUInt32LE(crc >>> 0, 4);
      desc.writeUInt32LE(compressed, 8);
      desc.writeUInt32LE(size, 12);
      await write(desc);
      sha256[i] = hash.digest('hex');
      central.push({ name, method: 8, flags: UTF8_FLAG | DESCRIPTOR_FLAG, crc, compressed, size, offset: entryOffset });
    }
    const cdOffset = offset;
    for (const e of central) await write(centralHeader(e));
    await write(endRecords(central.length, cdOffset, offset - cdOffset));
    await flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { bytes: offset, sha256 };
}
