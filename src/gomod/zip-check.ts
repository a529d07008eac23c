import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { hash1, type HashedFile } from './dirhash.js';
import { collisionChecker, foldKey } from './fold.js';
import { MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE } from './limits.js';
import { checkFilePath } from './module-path.js';
import { goPathClean } from './path-clean.js';
import { checkEntryEnd, checkEntryEndInPlace, readCentralDirectory, readEntry, ZipFormatError, type ZipEntry } from './archive-zip.js';

/**
 * Decide an uploaded module zip exactly as `go` does and report the h1 `go` computes:
 * x/mod/zip.CheckZip over the entries Go's archive/zip lists (archive-zip.ts), then
 * x/mod/sumdb/dirhash.HashZip, which reads every entry (CRC-checked). Invariants:
 *
 *  1. Accepted ⇔ CheckZip and HashZip both succeed on these bytes (with Debian's x/mod as
 *     the reference, tested entry by entry against it). The h1 is HashZip's: every entry
 *     is a line, directory entries and the bare `module@version/` entry included, and a
 *     name listed twice is hashed twice from the LAST entry of that name (HashZip's map).
 *  2. Names are raw bytes; invalid UTF-8 is refused by the file path check, as in Go.
 *  3. Size limits are checked from declared sizes first (CheckZip), and declared sizes must
 *     then equal the bytes actually read (archive/zip), so no entry is inflated past what
 *     it declares. One deliberate difference: the registry also refuses (too large) where
 *     the declared sizes of the entries HashZip reads pass `maxUncompressed` in total,
 *     directory entries included, and inflates nothing from there on — Go would hash
 *     arbitrarily much data hidden in directory entries; no Go tool writes such zips, and a
 *     server must not inflate a bomb. (A zip Go accepts reads exactly its declared sizes.)
 *  4. Entries are read INSPECT_CONCURRENCY at a time (zlib on the thread pool); the verdict
 *     does not depend on which failing entry is noticed first: it is the failure of the entry
 *     HashZip reads first (name byte order), and the uncompressed limit of invariant 3 is
 *     spent in that order too (see hashZip).
 *  5. One pass: a record taken while the zip streamed in (SpeculatedEntry) replaces reading an
 *     entry back only when the central directory entry would read exactly the recorded
 *     bytes the recorded way (same local header offset and method, compressed size equal to
 *     what the recorded read consumed, same uncompressed size) and then passes Go's
 *     end-of-entry checks (size, data descriptor, CRC) against the central directory. Any
 *     other entry — data descriptors that lie, overlapping or prepended data, ZIP64, or
 *     whatever the recorder could not follow — is read from the file.
 */
export class ZipRejection extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export interface ZipInspection {
  h1: string;
  /** Content of `module@version/go.mod`, or null when the zip has none. */
  goMod: Buffer | null;
  /** Number of entries hashed (every entry, as HashZip). */
  files: number;
  uncompressedBytes: number;
  /** Entries whose read was taken from the streamed records / read back from the file. */
  reused: number;
  reread: number;
}

/**
 * What reading one entry produced, recorded by someone who saw the bytes go by (the
 * registry's upload scanner, src/registry/go/zip-stream.ts), keyed by local header offset.
 * The record must be a pure function of the bytes from that offset on; invariant 5 decides
 * whether it may stand in for reading the entry.
 */
export interface SpeculatedEntry {
  headerOffset: number;
  /** Where the entry's data starts, as its local header at headerOffset says. */
  dataOffset: number;
  method: number;
  /** Compressed bytes that made this entry's data, from the end of its local header. */
  consumed: number;
  size: number;
  crc: number;
  sha256: string;
  /** The uncompressed content, kept only for the zip's go.mod. */
  content: Buffer | null;
}

export type Speculated = ReadonlyMap<number, SpeculatedEntry>;

/** Entries inflated at once: enough to keep both cores and the thread pool busy. */
export const INSPECT_CONCURRENCY = 8;

const show = (name: Buffer) => JSON.stringify(name.toString('utf8'));

interface Verdict {
  invalid: string[];
  sizeError: string | null;
}

/** x/mod/zip checkZip's loop over the entries (module path and version are checked by the caller). Pure. */
export function checkZipEntries(entries: ZipEntry[], module: string, version: string, maxUncompressed = MAX_ZIP_FILE): Verdict {
  const prefix = Buffer.from(`${module}@${version}/`, 'utf8');
  const collide = collisionChecker();
  const invalid: string[] = [];
  let sizeError: string | null = null;
  let size = 0n;
  const max = BigInt(maxUncompressed);
  for (const e of entries) {
    const bad = (why: string) => invalid.push(`zip entry ${show(e.name)}: ${why}`);
    if (e.name.length < prefix.length || !e.name.subarray(0, prefix.length).equals(prefix)) {
      bad(`outside ${prefix.toString()} (path does not have that prefix)`);
      continue;
    }
    const rest = e.name.subarray(prefix.length);
    if (rest.length === 0) continue;
    if (!isUtf8(rest)) {
      bad('malformed file path: invalid UTF-8');
      continue;
    }
    let name = rest.toString('utf8');
    const isDir = name.endsWith('/');
    if (isDir) name = name.slice(0, -1);
    if (goPathClean(name) !== name) {
      bad('file path is not clean');
      continue;
    }
    const malformed = checkFilePath(name);
    if (malformed) {
      bad(`malformed file path: ${malformed}`);
      continue;
    }
    const c = collide(name, isDir);
    if (c) {
      bad(c);
      continue;
    }
    if (isDir) continue;
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (foldKey(base) === 'go.mod') {
      if (base !== name) {
        bad('go.mod file not in module root directory');
        continue;
      }
      if (name !== 'go.mod') {
        bad('go.mod files must have lowercase names');
        continue;
      }
    }
    const sz = BigInt.asIntN(64, e.uncompressedSize);
    if (sz >= 0n && max - size >= sz) size += sz;
    else sizeError ??= `total uncompressed size of module contents too large (max size is ${maxUncompressed} bytes)`;
    if (name === 'go.mod' && sz > BigInt(MAX_GO_MOD)) {
      bad(`go.mod file too large (max size is ${MAX_GO_MOD} bytes)`);
      continue;
    }
    if (name === 'LICENSE' && sz > BigInt(MAX_LICENSE)) bad(`LICENSE file too large (max size is ${MAX_LICENSE} bytes)`);
  }
  return { invalid, sizeError };
}

export async function inspectModuleZip(path: string, module: string, version: string, maxUncompressed: number, speculated: Speculated = new Map()): Promise<ZipInspection> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size > maxUncompressed) throw new ZipRejection(`module zip file is too large (${size} bytes; limit is ${maxUncompressed} bytes)`, true);
    let entries: ZipEntry[];
    try {
      entries = await readCentralDirectory(fh, size);
    } catch (err) {
      if (err instanceof ZipFormatError) throw new ZipRejection(`not a valid zip file: ${err.message}`);
      throw err;
    }

    const verdict = checkZipEntries(entries, module, version, maxUncompressed);
    if (verdict.sizeError) throw new ZipRejection(verdict.sizeError, true);
    if (verdict.invalid.length) {
      const more = verdict.invalid.length > 3 ? ` (and ${verdict.invalid.length - 3} more)` : '';
      throw new ZipRejection(verdict.invalid.slice(0, 3).join('; ') + more, verdict.invalid.every((m) => / too large /.test(m)));
    }
    return await hashZip(fh, size, entries, `${module}@${version}/go.mod`, maxUncompressed, speculated);
  } finally {
    await fh.close();
  }
}

/**
 * dirhash.HashZip over the listed entries, reading (and so CRC-checking) each name's last entry.
 * HashZip reads one name after another in byte order and stops at the first failure, so that
 * entry is the one blamed: entries are read INSPECT_CONCURRENCY at a time, but a failure only
 * ever cuts off the entries after it in that order, and the verdict is the failure at the cut,
 * never the first failure that happened to land. The uncompressed limit is a budget spent in
 * the same order on declared sizes (an entry's read never yields more than it declares, and
 * one Go accepts yields exactly that), so it too falls at a position that timing cannot move,
 * and nothing past it is inflated at all.
 */
async function hashZip(fh: Awaited<ReturnType<typeof open>>, size: number, entries: ZipEntry[], goModName: string, maxUncompressed: number, speculated: Speculated): Promise<ZipInspection> {
  const lastByName = new Map<string, ZipEntry>();
  for (const e of entries) lastByName.set(e.name.toString('latin1'), e); // byte-exact key
  // Latin-1 keys hold one byte per code unit, so `<` is Go's sort.Strings (byte) order.
  const order = [...lastByName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const tooLarge = () => new ZipRejection(`module zip is too large uncompressed (max ${maxUncompressed} bytes)`, true);
  /** The position where HashZip stops (order.length: it reads everything), and why. */
  let cut = order.length;
  const failures = new Map<number, ZipRejection>();
  const stopAt = (i: number, why: ZipRejection) => {
    if (i < cut) cut = i;
    failures.set(i, why);
  };
  let budget = 0n;
  for (let i = 0; i < order.length; i++) {
    const e = order[i]![1];
    if (e.name.includes(0x0a)) {
      stopAt(i, new ZipRejection(`zip entry ${show(e.name)}: dirhash: filenames with newlines are not supported`));
      break;
    }
    budget += e.uncompressedSize;
    if (budget > BigInt(maxUncompressed)) {
      stopAt(i, tooLarge());
      break;
    }
  }

  const digests = new Map<string, string>();
  let total = 0;
  let goMod: Buffer | null = null;
  let reused = 0;
  let next = 0;
  const goModKey = Buffer.from(goModName, 'utf8').toString('latin1');
  const reuse = (key: string, r: SpeculatedEntry, isGoMod: boolean) => {
    total += r.size;
    digests.set(key, r.sha256);
    if (isGoMod) goMod = r.content;
    reused++;
  };
  // A record that stands without reading anything (no data descriptor to look at) settles its
  // entry here, at once — most entries of most zips, with no promise each. It cannot fail, so
  // taking it out of the order below changes no verdict (a record that does not stand is read).
  const settled = new Uint8Array(cut);
  for (let i = 0; i < cut; i++) {
    const [key, e] = order[i]!;
    const isGoMod = key === goModKey;
    const r = e.flags & 0x8 ? null : recordFor(e, speculated, isGoMod);
    if (r && endsAsRecorded(e, r)) {
      reuse(key, r, isGoMod);
      settled[i] = 1;
    }
  }
  const worker = async () => {
    // Entries before the cut are never abandoned, so each of them ends read or failed.
    while (next < cut) {
      const i = next++;
      if (settled[i]) continue;
      const [key, e] = order[i]!;
      const isGoMod = key === goModKey;
      // Records of entries without a data descriptor were all taken or refused above.
      const known = e.flags & 0x8 ? await recorded(fh, size, e, speculated, isGoMod) : null;
      if (known) {
        reuse(key, known, isGoMod);
        continue;
      }
      const h = createHash('sha256');
      const keep: Buffer[] = [];
      try {
        await readEntry(
          fh,
          size,
          e,
          (chunk) => {
            total += chunk.length;
            h.update(chunk);
            if (isGoMod) keep.push(chunk);
          },
          () => i > cut, // an earlier entry already decided the verdict
        );
      } catch (err) {
        if (err instanceof ZipFormatError) stopAt(i, new ZipRejection(`zip entry ${show(e.name)}: ${err.message}`));
        else throw err;
        continue;
      }
      digests.set(key, h.digest('hex'));
      if (isGoMod) goMod = Buffer.concat(keep);
    }
  };
  await Promise.all(Array.from({ length: INSPECT_CONCURRENCY }, worker));
  const failure = failures.get(cut);
  if (failure) throw failure;
  const hashed: HashedFile[] = entries.map((e) => ({ name: e.name.toString('utf8'), sha256: digests.get(e.name.toString('latin1'))! }));
  return { h1: hash1(hashed), goMod, files: hashed.length, uncompressedBytes: total, reused, reread: lastByName.size - reused };
}

/**
 * The streamed record of `e`, when reading `e` from the file would produce exactly it and
 * succeed (invariant 5); null means "read it from the file".
 */
async function recorded(fh: Awaited<ReturnType<typeof open>>, size: number, e: ZipEntry, speculated: Speculated, isGoMod: boolean): Promise<SpeculatedEntry | null> {
  const r = recordFor(e, speculated, isGoMod);
  if (!r) return null;
  try {
    // The record read the local header at this very offset, so it knows where the data starts.
    await checkEntryEnd(fh, size, e, BigInt(r.dataOffset), BigInt(r.size), r.crc);
  } catch (err) {
    if (err instanceof ZipFormatError) return null; // the file read reports it, with its own words
    throw err;
  }
  return r;
}

/** The record taken at `e`'s local header offset, if it read `e`'s data the way `e` says it is stored. */
function recordFor(e: ZipEntry, speculated: Speculated, isGoMod: boolean): SpeculatedEntry | null {
  if (e.headerOffset < 0n || e.headerOffset > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const r = speculated.get(Number(e.headerOffset));
  if (!r || r.method !== e.method || BigInt(r.consumed) !== e.compressedSize || BigInt(r.size) !== e.uncompressedSize) return null;
  if (isGoMod && r.content === null) return null;
  return r;
}

/** `recorded` for an entry without a data descriptor: Go's end-of-entry checks need nothing read. */
function endsAsRecorded(e: ZipEntry, r: SpeculatedEntry): boolean {
  try {
    checkEntryEndInPlace(e, BigInt(r.size), r.crc);
    return true;
  } catch (err) {
    if (err instanceof ZipFormatError) return false; // the file read reports it, with its own words
    throw err;
  }
}
