import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Hostile and edge-case module zips, built byte by byte so that every field a reader could
 * trust or mistrust (names, flags, CRCs, sizes, offsets, extra fields, end records) can be
 * set independently. The corpus carries NO expected answers: Go (x/mod CheckZip + HashZip
 * via test/helpers/go/modzipref) is asked for each verdict, and the registry must agree.
 */
export interface RawEntry {
  /** Raw name bytes as stored in the central directory (strings are written as UTF-8). */
  name: string | Buffer;
  data?: string | Buffer;
  /** 0 store, 8 deflate (default), anything else is an unsupported method. */
  method?: number;
  /** The exact bytes stored as the entry's data (default: data, compressed per method). */
  body?: Buffer;
  /** CRC-32 written in both headers (default: the data's real CRC). */
  crc?: number;
  /** Declared sizes written in the central directory (default: the real ones). */
  usize?: number;
  csize?: number;
  flags?: number;
  /** Write a data descriptor after the data (and set flag bit 3). */
  descriptor?: { crc?: number; signature?: boolean };
  /** Central directory extra field (local headers carry none unless localExtra). */
  extra?: Buffer;
  localExtra?: Buffer;
  /** Name written in the local header (default: name). */
  localName?: string | Buffer;
  localSignature?: number;
  /** "Version made by" (high byte 3 = Unix) and external attributes (Unix mode << 16). */
  creator?: number;
  attrs?: number;
  /** Local header offset written in the central directory (default: the real one). */
  offset?: number;
}

export interface ZipOptions {
  /** Bytes before the first local header (a self-extracting stub). */
  stub?: Buffer;
  /** End-of-central-directory entry count (default: the real count). */
  count?: number;
  cdOffset?: number;
  cdSize?: number;
  comment?: Buffer;
  commentLength?: number;
  /** Write ZIP64 end records (the classic record then holds 0xffff / 0xffffffff). */
  zip64?: { count?: bigint; cdOffset?: bigint; cdSize?: bigint; locatorOffset?: bigint };
  /** Keep only the first N bytes of the finished archive. */
  truncate?: number;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff);
  return b;
};
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
export const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, n));
  return b;
};
const bytes = (s: string | Buffer | undefined) => (Buffer.isBuffer(s) ? s : Buffer.from(s ?? '', 'utf8'));

/** A ZIP64 extended-information extra field holding the given 64-bit values in order. */
export function zip64Extra(...values: bigint[]): Buffer {
  return Buffer.concat([u16(0x0001), u16(values.length * 8), ...values.map(u64)]);
}

/** The Info-ZIP Unicode Path extra field (0x7075), whose CRC matches `rawName` so readers honouring it use `unicodeName`. */
export function unicodePathExtra(rawName: string | Buffer, unicodeName: string): Buffer {
  const name = Buffer.from(unicodeName, 'utf8');
  return Buffer.concat([u16(0x7075), u16(5 + name.length), Buffer.from([1]), u32(crc32(bytes(rawName))), name]);
}

export function buildZip(entries: RawEntry[], opts: ZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    pos += b.length;
  };
  if (opts.stub) push(opts.stub);
  const central: Buffer[] = [];
  for (const e of entries) {
    const name = bytes(e.name);
    const data = bytes(e.data);
    const method = e.method ?? 8;
    const body = e.body ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const flags = (e.flags ?? 0) | (e.descriptor ? 0x8 : 0);
    const offset = pos - (opts.stub?.length ?? 0); // relative to the archive proper, as a stub-prepending tool leaves them
    const localName = e.localName === undefined ? name : bytes(e.localName);
    const localExtra = e.localExtra ?? Buffer.alloc(0);
    push(
      Buffer.concat([
        u32(e.localSignature ?? 0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0x21),
        u32(e.descriptor ? 0 : crc), u32(e.descriptor ? 0 : body.length), u32(e.descriptor ? 0 : data.length),
        u16(localName.length), u16(localExtra.length), localName, localExtra,
      ]),
    );
    push(body);
    if (e.descriptor) {
      push(Buffer.concat([e.descriptor.signature === false ? Buffer.alloc(0) : u32(0x08074b50), u32(e.descriptor.crc ?? crc), u32(body.length), u32(data.length)]));
    }
    const extra = e.extra ?? Buffer.alloc(0);
    central.push(
      Buffer.concat([
        u32(0x02014b50), u16(e.creator ?? 0x0314), u16(20), u16(flags), u16(method), u16(0), u16(0x21),
        u32(crc), u32(e.csize ?? body.length), u32(e.usize ?? data.length),
        u16(name.length), u16(extra.length), u16(0), u16(0), u16(0), u32(e.attrs ?? (0o100644 << 16)), u32(e.offset ?? offset),
        name, extra,
      ]),
    );
  }
  const cdStart = pos - (opts.stub?.length ?? 0);
  const cd = Buffer.concat(central);
  push(cd);
  const comment = opts.comment ?? Buffer.alloc(0);
  if (opts.zip64) {
    const z = opts.zip64;
    const at = pos - (opts.stub?.length ?? 0);
    push(Buffer.concat([u32(0x06064b50), u64(44n), u16(45), u16(45), u32(0), u32(0), u64(z.count ?? BigInt(entries.length)), u64(z.count ?? BigInt(entries.length)), u64(z.cdSize ?? BigInt(cd.length)), u64(z.cdOffset ?? BigInt(cdStart))]));
    push(Buffer.concat([u32(0x07064b50), u32(0), u64(z.locatorOffset ?? BigInt(at)), u32(1)]));
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff), u16(opts.commentLength ?? comment.length), comment]));
  } else {
    const count = opts.count ?? entries.length;
    push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(count), u16(count), u32(opts.cdSize ?? cd.length), u32(opts.cdOffset ?? cdStart), u16(opts.commentLength ?? comment.length), comment]));
  }
  const all = Buffer.concat(parts);
  return opts.truncate === undefined ? all : all.subarray(0, opts.truncate);
}

export interface HostileCase {
  id: string;
  /** What makes this zip interesting (and what a lenient reader gets wrong). */
  why: string;
  zip: (prefix: string) => Buffer;
  /** The mod field to upload; default: the zip's own root go.mod, else a minimal one. */
  mod?: string;
}

const MiB = 1 << 20;
const realCdOffset = (entries: RawEntry[]) => {
  const z = buildZip(entries);
  return z.readUInt32LE(z.length - 22 + 16);
};
const realCdSize = (entries: RawEntry[]) => {
  const z = buildZip(entries);
  return z.readUInt32LE(z.length - 22 + 12);
};

/** The corpus. Every case gets its own version, so accepted ones never collide in storage. */
export function hostileCases(module: string): HostileCase[] {
  const gomod = `module ${module}\n\ngo 1.19\n`;
  const src = (pkg = 'hostile') => `package ${pkg}\n\n// Value is part of the module.\nfunc Value() string { return "ok" }\n`;
  const base = (p: string): RawEntry[] => [{ name: `${p}go.mod`, data: gomod }, { name: `${p}hostile.go`, data: src() }];
  const unix = (mode: number) => ({ creator: 0x0314, attrs: mode << 16 });
  const c = (id: string, why: string, zip: HostileCase['zip'], mod?: string): HostileCase => ({ id, why, zip, mod });
  const zeros = (n: number) => Buffer.alloc(n);
  const latin1 = (p: string, tail: number[], rest: string) => Buffer.concat([Buffer.from(p), Buffer.from(tail), Buffer.from(rest)]);

  return [
    // --- well-formed baselines
    c('baseline', 'deflated files, no directory entries', (p) => buildZip(base(p))),
    c('stored', 'method 0 entries', (p) => buildZip(base(p).map((e) => ({ ...e, method: 0 })))),
    c('empty-zip', 'no entries at all: Go accepts and hashes nothing', () => buildZip([])),
    c('no-go-mod', 'a module zip without go.mod is legal', (p) => buildZip([{ name: `${p}a.go`, data: src() }])),
    c('zip-comment', 'archive comment after the end record', (p) => buildZip(base(p), { comment: Buffer.from('a comment PK') })),
    // --- names: bytes as Go reads them
    c('backslash-in-name', 'yauzl rewrites \\ to /; Go sees a backslash and refuses it', (p) => buildZip([...base(p), { name: `${p}sub\\evil.go`, data: 'x' }])),
    c('backslash-prefix', 'prefix spelled with a backslash', (p) => buildZip([...base(p), { name: p.replace('/', '\\') + 'x.go', data: 'x' }])),
    c('cp437-byte-no-utf8-flag', 'byte 0xE9 without the UTF-8 flag: yauzl decodes CP437, Go sees invalid UTF-8', (p) => buildZip([...base(p), { name: latin1(p, [0x63, 0x61, 0x66, 0xe9], '.go'), data: 'x' }])),
    c('utf8-name-no-flag', 'valid UTF-8 without the UTF-8 flag: Go uses the raw bytes (yauzl would decode CP437)', (p) => buildZip([...base(p), { name: `${p}café.go`, data: src(), flags: 0 }])),
    c('utf8-name-with-flag', 'valid UTF-8 with the UTF-8 flag', (p) => buildZip([...base(p), { name: `${p}日本.go`, data: src(), flags: 0x800 }])),
    c('unicode-path-extra-hides-traversal', 'raw name traverses; a 0x7075 field claims a clean name (Go ignores it)', (p) => {
      const raw = `${p}../../x.go`;
      return buildZip([...base(p), { name: raw, data: 'x', extra: unicodePathExtra(raw, `${p}x.go`) }]);
    }),
    c('unicode-path-extra-claims-traversal', 'raw name is clean; a 0x7075 field claims ../../x.go (Go ignores it)', (p) => {
      const raw = `${p}x.go`;
      return buildZip([...base(p), { name: raw, data: src(), extra: unicodePathExtra(raw, `${p}../../x.go`) }]);
    }),
    c('nul-in-name', 'NUL byte in a name', (p) => buildZip([...base(p), { name: `${p}a\0.go`, data: 'x' }])),
    c('newline-in-name', 'newline in a name (dirhash cannot hash it)', (p) => buildZip([...base(p), { name: `${p}a\n.go`, data: 'x' }])),
    c('overlong-utf8', 'overlong encoding of "/" (0xC0 0xAF)', (p) => buildZip([...base(p), { name: latin1(p, [0x61, 0xc0, 0xaf], '.go'), data: 'x' }])),
    c('utf8-surrogate', 'UTF-8-encoded surrogate half (0xED 0xA0 0x80)', (p) => buildZip([...base(p), { name: latin1(p, [0xed, 0xa0, 0x80], '.go'), data: 'x' }])),
    c('symbol-not-letter', 'non-ASCII symbol (☃) is not a letter', (p) => buildZip([...base(p), { name: `${p}snow☃.go`, data: 'x' }])),
    c('space-in-name', 'spaces are allowed', (p) => buildZip([...base(p), { name: `${p}a b.go`, data: src() }])),
    c('shell-char', 'a shell special character', (p) => buildZip([...base(p), { name: `${p}a*.go`, data: 'x' }])),
    c('windows-reserved', 'CON is reserved on Windows, in any case', (p) => buildZip([...base(p), { name: `${p}con.txt`, data: 'x' }])),
    c('trailing-dot', 'element ending in a dot', (p) => buildZip([...base(p), { name: `${p}a.`, data: 'x' }])),
    c('local-name-differs', 'local header names another file; Go trusts only the central directory', (p) => buildZip([...base(p), { name: `${p}real.go`, localName: `${p}fake.go`, data: src() }])),
    // --- paths and layout
    c('traversal', '../ escapes the module directory', (p) => buildZip([...base(p), { name: `${p}../x.go`, data: 'x' }])),
    c('not-clean-inner', 'a/../b.go is not clean', (p) => buildZip([...base(p), { name: `${p}a/../b.go`, data: 'x' }])),
    c('dot-segment', './a.go is not clean', (p) => buildZip([...base(p), { name: `${p}./a.go`, data: 'x' }])),
    c('double-slash', 'empty path element', (p) => buildZip([...base(p), { name: `${p}/a.go`, data: 'x' }])),
    c('absolute', 'leading slash before the prefix', (p) => buildZip([...base(p), { name: `/${p}a.go`, data: 'x' }])),
    c('outside-prefix', 'entry outside module@version/', (p) => buildZip([...base(p), { name: 'other.example/m@v1.0.0/a.go', data: 'x' }])),
    c('other-version-prefix', 'entry under another version', (p) => buildZip([...base(p), { name: p.replace(/@v[^/]+\//, '@v9.9.9/') + 'a.go', data: 'x' }])),
    c('prefix-without-slash', 'an entry named module@version (no slash)', (p) => buildZip([...base(p), { name: p.slice(0, -1), data: '' }])),
    c('prefix-entry', 'an entry named exactly module@version/: skipped by CheckZip, hashed by HashZip', (p) => buildZip([{ name: p, data: '' }, ...base(p)])),
    c('go-mod-in-subdir', 'go.mod below the root', (p) => buildZip([...base(p), { name: `${p}sub/go.mod`, data: 'module x\n' }])),
    c('go-mod-upper', 'GO.MOD at the root', (p) => buildZip([{ name: `${p}GO.MOD`, data: gomod }, { name: `${p}a.go`, data: src() }])),
    c('go-mod-dir', 'a directory named go.mod is fine (when there is no go.mod file)', (p) => buildZip([{ name: `${p}hostile.go`, data: src() }, { name: `${p}go.mod/a.go`, data: src('a') }])),
    c('go-mod-file-and-dir', 'go.mod is a file and a directory', (p) => buildZip([...base(p), { name: `${p}go.mod/a.go`, data: src('a') }])),
    c('vendor-paths', 'CheckZip keeps vendor/ (only Create omits it)', (p) => buildZip([...base(p), { name: `${p}vendor/modules.txt`, data: '# x\n' }, { name: `${p}vendor/example.com/x/x.go`, data: 'package x\n' }])),
    c('hg-archival', '.hg_archival.txt is only omitted when creating', (p) => buildZip([...base(p), { name: `${p}.hg_archival.txt`, data: 'repo: x\n' }])),
    // --- collisions and duplicates
    c('fold-sharp-s', 'ß.go and ẞ.go fold together under simple folding', (p) => buildZip([...base(p), { name: `${p}ß.go`, data: 'x' }, { name: `${p}ẞ.go`, data: 'y' }])),
    c('fold-kelvin', 'k.go and K.go (Kelvin sign)', (p) => buildZip([...base(p), { name: `${p}k.go`, data: 'x' }, { name: `${p}\u212a.go`, data: 'y' }])),
    c('fold-ss-vs-sharp-s', 'ss.go and ß.go do NOT collide under simple folding', (p) => buildZip([...base(p), { name: `${p}ss.go`, data: src() }, { name: `${p}ß.go`, data: src() }])),
    c('case-variants', 'README and readme', (p) => buildZip([...base(p), { name: `${p}README`, data: 'a' }, { name: `${p}readme`, data: 'b' }])),
    c('case-variant-dirs', 'Dir/a.go and dir/b.go collide through their parents', (p) => buildZip([...base(p), { name: `${p}Dir/a.go`, data: 'a' }, { name: `${p}dir/b.go`, data: 'b' }])),
    c('duplicate-file', 'the same file twice', (p) => buildZip([...base(p), { name: `${p}hostile.go`, data: src() }])),
    c('file-and-dir', 'a.go is a file and a directory', (p) => buildZip([...base(p), { name: `${p}a.go`, data: 'a' }, { name: `${p}a.go/b.go`, data: 'b' }])),
    // --- directory entries (hashed by HashZip, ignored by CheckZip)
    c('dir-entries', 'explicit directory entries change h1', (p) => buildZip([...base(p), { name: `${p}sub/`, data: '', ...unix(0o40755) }, { name: `${p}sub/a.go`, data: src('sub') }])),
    c('dir-entry-with-content', 'a directory entry carrying bytes: HashZip hashes them', (p) => buildZip([...base(p), { name: `${p}sub/`, data: 'surprise' }, { name: `${p}sub/a.go`, data: src('sub') }])),
    c('duplicate-dir-entries', 'a directory listed twice is legal; both lines are hashed', (p) => buildZip([...base(p), { name: `${p}sub/`, data: '' }, { name: `${p}sub/`, data: '' }, { name: `${p}sub/a.go`, data: src('sub') }])),
    c('shadowed-dir-bad-crc', 'duplicate directory: HashZip opens only the last one, so the first one\'s bad CRC is never read', (p) =>
      buildZip([...base(p), { name: `${p}sub/`, data: 'x', crc: 1 }, { name: `${p}sub/`, data: '' }, { name: `${p}sub/a.go`, data: src('sub') }])),
    // --- modes and flags
    c('symlink-mode', 'Unix symlink mode bits: CheckZip ignores modes, Unzip writes a regular file', (p) => buildZip([...base(p), { name: `${p}link.go`, data: src(), ...unix(0o120777) }])),
    c('executable-mode', 'Unix executable bits', (p) => buildZip([...base(p), { name: `${p}run.sh`, data: '#!/bin/sh\n', ...unix(0o100755) }])),
    c('encrypted-flag', 'the encryption flag is set but the data is plain: Go ignores the flag', (p) => buildZip([...base(p), { name: `${p}plain.go`, data: src(), flags: 1 }])),
    c('unsupported-method', 'method 12 (bzip2) cannot be read by Go', (p) => buildZip([...base(p), { name: `${p}b.go`, data: 'x', method: 12, body: Buffer.from('BZh9') }])),
    // --- CRCs and data descriptors
    c('bad-crc-deflate', 'wrong CRC-32 on a deflated entry', (p) => buildZip([...base(p), { name: `${p}c.go`, data: src(), crc: 0x12345678 }])),
    c('bad-crc-stored', 'wrong CRC-32 on a stored entry', (p) => buildZip([...base(p), { name: `${p}c.go`, data: src(), method: 0, crc: 0x12345678 }])),
    c('zero-crc', 'CRC-32 field 0 without a descriptor: Go does not check it', (p) => buildZip([...base(p), { name: `${p}c.go`, data: src(), crc: 0 }])),
    c('data-descriptor', 'data descriptor with signature', (p) => buildZip([...base(p), { name: `${p}d.go`, data: src(), descriptor: {} }])),
    c('data-descriptor-no-signature', 'data descriptor without the optional signature', (p) => buildZip([...base(p), { name: `${p}d.go`, data: src(), descriptor: { signature: false } }])),
    c('data-descriptor-crc-mismatch', 'descriptor CRC differs from the central directory', (p) => buildZip([...base(p), { name: `${p}d.go`, data: src(), descriptor: { crc: 0xdeadbeef } }])),
    c('data-descriptor-zero-crc', 'CRC 0 everywhere with a descriptor: Go still checks the data', (p) => buildZip([...base(p), { name: `${p}d.go`, data: src(), crc: 0, descriptor: { crc: 0 } }])),
    // --- sizes
    c('usize-too-small', 'declared uncompressed size smaller than the data', (p) => buildZip([...base(p), { name: `${p}s.go`, data: src(), usize: 10 }])),
    c('usize-too-large', 'declared uncompressed size larger than the data', (p) => buildZip([...base(p), { name: `${p}s.go`, data: src(), usize: 100000 }])),
    c('stored-csize-mismatch', 'stored entry whose compressed size is not its size', (p) => buildZip([...base(p), { name: `${p}s.go`, data: src(), method: 0, csize: 5 }])),
    c('deflate-trailing-garbage', 'bytes after the final deflate block, inside the entry: ignored by Go', (p) => {
      const data = Buffer.from(src());
      return buildZip([...base(p), { name: `${p}t.go`, data, body: Buffer.concat([deflateRawSync(data), Buffer.from('trailing garbage')]) }]);
    }),
    c('deflate-empty-stream', 'deflate method with zero bytes of data', (p) => buildZip([...base(p), { name: `${p}e.go`, data: '', body: Buffer.alloc(0) }])),
    c('deflate-corrupt', 'an invalid deflate block type', (p) => buildZip([...base(p), { name: `${p}x.go`, data: 'xxxx', body: Buffer.from([0xff, 0xff, 0xff]) }])),
    c('usize-ffffffff-no-zip64', '0xffffffff size without ZIP64 extra: Go takes it at face value (4 GiB)', (p) => buildZip([...base(p), { name: `${p}s.go`, data: src(), usize: 0xffffffff }])),
    c('declared-huge', 'declared 600 MiB: over the total limit before any byte is read', (p) => buildZip([...base(p), { name: `${p}big.bin`, data: 'x', usize: 600 * MiB }])),
    c('bomb-within-limit', '48 MiB of zeros in a ~48 KiB entry: legal for Go', (p) => buildZip([...base(p), { name: `${p}zeros.bin`, data: zeros(48 * MiB) }])),
    c('bomb-lying-size', 'declares 1000 bytes but inflates to 48 MiB', (p) => buildZip([...base(p), { name: `${p}zeros.bin`, data: zeros(48 * MiB), usize: 1000 }])),
    c('license-too-large', 'root LICENSE over 16 MiB', (p) => buildZip([...base(p), { name: `${p}LICENSE`, data: zeros(16 * MiB + 1) }])),
    c('license-at-limit', 'root LICENSE of exactly 16 MiB', (p) => buildZip([...base(p), { name: `${p}LICENSE`, data: zeros(16 * MiB) }])),
    c('sub-license-large', 'the LICENSE limit is for the root file only', (p) => buildZip([...base(p), { name: `${p}sub/LICENSE`, data: zeros(16 * MiB + 1) }])),
    c('go-mod-too-large', 'go.mod over 16 MiB', (p) => buildZip([{ name: `${p}go.mod`, data: Buffer.concat([Buffer.from(gomod), zeros(16 * MiB)]) }])),
    // --- ZIP64 and structure lies
    c('zip64-extra-consistent', 'sizes and offset moved into a correct ZIP64 extra field', (p) => {
      const data = Buffer.from(src());
      const body = deflateRawSync(data);
      const first = base(p);
      const off = realCdOffset(first); // where the third local header will start
      return buildZip([...first, { name: `${p}z.go`, data, usize: 0xffffffff, csize: 0xffffffff, offset: 0xffffffff, extra: zip64Extra(BigInt(data.length), BigInt(body.length), BigInt(off)) }]);
    }),
    c('zip64-extra-size-lie', 'ZIP64 extra declares a larger uncompressed size than the data', (p) => {
      const data = Buffer.from(src());
      return buildZip([...base(p), { name: `${p}z.go`, data, usize: 0xffffffff, extra: zip64Extra(BigInt(data.length + 100)) }]);
    }),
    c('zip64-extra-ignored', 'ZIP64 extra with nonsense, but no field is 0xffffffff: Go ignores it', (p) => buildZip([...base(p), { name: `${p}z.go`, data: src(), extra: zip64Extra(1n << 40n, 1n << 41n, 1n << 42n) }])),
    c('zip64-extra-truncated', 'needed ZIP64 extra is too short', (p) => buildZip([...base(p), { name: `${p}z.go`, data: src(), csize: 0xffffffff, extra: zip64Extra().subarray(0, 4) }])),
    c('zip64-offset-past-end', 'ZIP64 header offset beyond the file', (p) => buildZip([...base(p), { name: `${p}z.go`, data: src(), offset: 0xffffffff, extra: zip64Extra(1n << 40n) }])),
    c('zip64-end-records', 'correct ZIP64 end of central directory records', (p) => buildZip(base(p), { zip64: {} })),
    c('zip64-end-count-lie', 'ZIP64 end record counts more entries than exist', (p) => buildZip(base(p), { zip64: { count: 5n } })),
    c('zip64-locator-lie', 'ZIP64 locator points nowhere', (p) => buildZip(base(p), { zip64: { locatorOffset: 7n } })),
    c('eocd-count-lie', 'end record counts 3 entries, 2 exist', (p) => buildZip(base(p), { count: 3 })),
    c('zip64-count-mod-65536', 'ZIP64 end record count off by exactly 65536: Go compares only 16 bits', (p) => buildZip(base(p), { zip64: { count: 2n + 65536n } })),
    c('eocd-comment-length-lie', 'end record comment length runs past the end', (p) => buildZip(base(p), { commentLength: 200 })),
    c('cd-offset-lie', 'central directory offset 10 too small: Go re-bases every header offset by 10', (p) => buildZip(base(p), { cdOffset: realCdOffset(base(p)) - 10 })),
    c('cd-size-lie', 'central directory size 10 too large: the first header is not found at the re-based offset, Go retries at base 0', (p) => buildZip(base(p), { cdSize: realCdSize(base(p)) + 10 })),
    c('self-extracting-stub', 'bytes before the archive, offsets relative to the archive: Go finds the base offset', (p) => buildZip(base(p), { stub: Buffer.from('#!/bin/sh\necho stub\nexit 0\n') })),
    c('overlapping-entries', 'two central records share one local header and its data', (p) => {
      return buildZip([...base(p), { name: `${p}alias.go`, data: gomod, offset: 0 }]);
    }),
    c('bad-local-signature', 'local header signature corrupted', (p) => buildZip([...base(p), { name: `${p}l.go`, data: src(), localSignature: 0x04034b51 }])),
    c('truncated-archive', 'archive cut in half (no end record)', (p) => {
      const z = buildZip(base(p));
      return z.subarray(0, z.length >> 1);
    }),
    c('truncated-entry-data', 'compressed size runs into the central directory', (p) => buildZip([...base(p), { name: `${p}t.go`, data: src(), method: 0, csize: 5000, usize: 5000 }])),
    c('not-a-zip', 'random text', () => Buffer.from('this is not a zip file at all\n'.repeat(10))),
  ];
}
