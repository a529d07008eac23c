import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { hash1 } from '../../src/gomod/dirhash.js';
import { sortUtf8 } from '../../src/gomod/utf8-order.js';
import { inlinePreparer } from '../../src/gomod/zip-prepare.js';
import { BATCH_BYTES, BATCH_FILES, planSteps, STREAM_THRESHOLD, writeZip, type ZipInput } from '../../src/gomod/zip-writer.js';
import { refHashZip } from '../helpers/go.js';
import { PROJECT_ROOT, scratchDirs, tempDir } from '../helpers/repo.js';

const { track } = scratchDirs();
const { looksIncompressible } = inlinePreparer();

/** Entries in the zip's own order, with method and sizes from the central directory. */
function entries(zip: string): Promise<{ name: string; method: number; size: number }[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zip, { lazyEntries: true }, (err, zf) => {
      if (err || !zf) return reject(err);
      const out: { name: string; method: number; size: number }[] = [];
      zf.on('entry', (e: yauzl.Entry) => {
        out.push({ name: e.fileName, method: e.compressionMethod, size: e.uncompressedSize });
        zf.readEntry();
      });
      zf.on('end', () => resolve(out));
      zf.on('error', reject);
      zf.readEntry();
    });
  });
}

/** Real Go source from this repository's test helpers, repeated to `size` bytes. */
function goText(size: number): Buffer {
  const src = readFileSync(join(PROJECT_ROOT, 'test/helpers/go/modzipref/main.go'));
  return Buffer.concat(Array.from({ length: Math.ceil(size / src.length) }, () => src)).subarray(0, size);
}

/** zlib at its strongest is the judge of what "compressible" means. */
const deflateGain = (b: Uint8Array) => 1 - deflateRawSync(b, { level: 9 }).length / b.length;

describe('looksIncompressible (store without trying to deflate)', () => {
  it('says yes for random bytes of any size from 1 KiB up', () => {
    for (const n of [1024, 3000, 10_485, 1 << 20]) expect(looksIncompressible(randomBytes(n)), `${n} bytes`).toBe(true);
  });

  it('says no for source text, small inputs, a repeated random block and low-entropy bytes', () => {
    expect(looksIncompressible(goText(10_000))).toBe(false);
    expect(looksIncompressible(randomBytes(1023))).toBe(false);
    const block = randomBytes(700);
    const repeated = Buffer.concat(Array.from({ length: 12 }, () => block));
    expect(deflateGain(repeated)).toBeGreaterThan(0.5);
    expect(looksIncompressible(repeated)).toBe(false);
    const hex = Buffer.from(randomBytes(8000).toString('hex'));
    expect(deflateGain(hex)).toBeGreaterThan(0.3);
    expect(looksIncompressible(hex)).toBe(false);
    // Random bytes with a text island: the whole file is scanned, so deflate gets to try.
    const mixed = Buffer.concat([randomBytes(6000), goText(3000), randomBytes(6000)]);
    expect(looksIncompressible(mixed)).toBe(false);
    // A random block repeated further apart than a small sample would reach (32 KiB).
    const far = randomBytes(8000);
    expect(looksIncompressible(Buffer.concat([far, far, far, far]))).toBe(false);
  });

  it('judges each input and each window on its own: what earlier inputs or windows left in its table is no repeat', () => {
    const block = randomBytes(20_000);
    expect(looksIncompressible(block)).toBe(true);
    expect(looksIncompressible(block), 'the same bytes again').toBe(true);
    expect(looksIncompressible(goText(20_000))).toBe(false);
    expect(looksIncompressible(block), 'after text').toBe(true);
    // A 64 KiB random block 16 times: every sampled window is all-distinct bytes, and the
    // copies are beyond deflate's 32 KiB reach, so deflate gains nothing either.
    const one = randomBytes(64 << 10);
    const spaced = Buffer.concat(Array.from({ length: 16 }, () => one));
    expect(deflateGain(spaced)).toBeLessThan(0.03);
    expect(looksIncompressible(spaced)).toBe(true);
    // The table is stamped per window and the stamps cycle every 0x7fff windows: the same
    // bytes judged again exactly one cycle later (text in between, which barely touches the
    // table) are still no repeat.
    const again = randomBytes(4096);
    expect(looksIncompressible(again)).toBe(true);
    const text = goText(2048);
    for (let i = 0; i < 0x7fff - 1; i++) looksIncompressible(text);
    expect(looksIncompressible(again), 'one stamp cycle later').toBe(true);
  });

  it('says no for data that is compressible only after its first 64 KiB (whole file, or the last window)', () => {
    const tail = goText(32 << 10);
    expect(looksIncompressible(Buffer.concat([randomBytes(64 << 10), tail]))).toBe(false);
    expect(looksIncompressible(Buffer.concat([randomBytes(200 << 10), tail]))).toBe(false);
    const big = Buffer.concat([randomBytes(1 << 20), goText(64 << 10)]);
    expect(deflateGain(big)).toBeGreaterThan(0.03);
    expect(looksIncompressible(big)).toBe(false);
  });

  it('never says yes when deflate would gain 3% or more (property)', () => {
    const data = fc
      .record({
        alphabet: fc.integer({ min: 2, max: 256 }),
        block: fc.integer({ min: 16, max: 4096 }),
        copies: fc.integer({ min: 1, max: 8 }),
        seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      })
      .map(({ alphabet, block, copies, seed }) => {
        // Bytes from an alphabet of `alphabet` symbols (entropy log2(alphabet)), a block
        // repeated `copies` times: covers random, low-entropy and repetitive inputs.
        let x = seed || 1;
        const one = Buffer.alloc(block);
        for (let i = 0; i < block; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          one[i] = (x >>> 0) % alphabet;
        }
        return Buffer.concat(Array.from({ length: copies }, () => one));
      });
    fc.assert(
      fc.property(data, (buf) => {
        if (looksIncompressible(buf)) expect(deflateGain(buf)).toBeLessThan(0.03);
      }),
      { numRuns: 300 },
    );
  });
});

describe('planSteps', () => {
  it('cuts contiguous, bounded batches in input order and gives big files a step of their own (property)', () => {
    const sizes = fc.array(
      fc.oneof(fc.integer({ min: 0, max: 4096 }), fc.integer({ min: 0, max: 2 * BATCH_BYTES }), fc.constant(STREAM_THRESHOLD + 1)),
      { maxLength: 2 * BATCH_FILES + 10 },
    );
    fc.assert(
      fc.property(sizes, (ss) => {
        const inputs = ss.map((size, i) => ({ name: `m@v1.0.0/f${i}`, path: `/x/${i}`, size }));
        const covered: number[] = [];
        for (const s of planSteps(inputs)) {
          if (s.kind === 'stream') {
            expect(inputs[s.index]!.size).toBeGreaterThan(STREAM_THRESHOLD);
            covered.push(s.index);
            continue;
          }
          const batch = inputs.slice(s.start, s.end);
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(BATCH_FILES);
          expect(batch.every((f) => f.size <= STREAM_THRESHOLD)).toBe(true);
          // Over BATCH_BYTES only when a single file is that big on its own.
          if (batch.length > 1) expect(batch.reduce((a, f) => a + f.size, 0)).toBeLessThanOrEqual(BATCH_BYTES);
          for (let i = s.start; i < s.end; i++) covered.push(i);
        }
        expect(covered).toEqual(inputs.map((_, i) => i));
      }),
    );
  });
});

describe('writeZip on worker threads', () => {
  function tree() {
    const dir = track(tempDir('zipw-workers-'));
    const inputs: ZipInput[] = [];
    const add = (name: string, data: Buffer) => {
      const path = join(dir, name.replaceAll('/', '_'));
      writeFileSync(path, data);
      inputs.push({ name: `example.com/w@v1.0.0/${name}`, path, size: data.length });
    };
    // Enough files for several batches; names deliberately not in sorted order (the zip
    // keeps the given order; h1 sorts on its own).
    for (let i = 0; i < 2 * BATCH_FILES + 37; i++) {
      const kind = i % 4;
      const name = `p${(i * 7919) % 1000}/f${i}.${['go', 'bin', 'txt', 'one'][kind]}`;
      add(name, kind === 0 ? goText(100 + i * 13) : kind === 1 ? randomBytes(2000 + i) : kind === 2 ? Buffer.alloc(0) : Buffer.from('x'));
    }
    add('big/compressible.txt', goText(BATCH_BYTES + 4321));
    add('big/random.bin', randomBytes(BATCH_BYTES + 1));
    return { dir, inputs };
  }

  it('writes entries in the given order, stores what does not shrink, and Go reads it to the same h1; inline and worker zips are identical', async () => {
    const { dir, inputs } = tree();
    const viaWorkers = await writeZip(inputs, join(dir, 'workers.zip'), { workers: 2 });
    const inline = await writeZip(inputs, join(dir, 'inline.zip'), { workers: 0 });
    expect(readFileSync(join(dir, 'workers.zip')).equals(readFileSync(join(dir, 'inline.zip')))).toBe(true);
    expect(viaWorkers.sha256).toEqual(inline.sha256);

    const listed = await entries(join(dir, 'workers.zip'));
    expect(listed.map((e) => e.name)).toEqual(inputs.map((f) => f.name));
    expect(listed.map((e) => e.size)).toEqual(inputs.map((f) => f.size));
    const methodOf = (suffix: string) => [...new Set(listed.filter((e) => e.name.endsWith(suffix)).map((e) => e.method))];
    expect(methodOf('.bin')).toEqual([0]); // random: stored
    expect(methodOf('.txt').sort()).toEqual([0, 8]); // empty: stored; big text: deflated
    expect(methodOf('.go')).toEqual([8]);
    expect(methodOf('.one')).toEqual([0]); // 1 byte: deflate cannot shrink it
    expect(viaWorkers.methods).toEqual(listed.map((e) => e.method));

    // Go's archive/zip checks every CRC while dirhash.HashZip hashes the contents.
    const ours = hash1(inputs.map((f, i) => ({ name: f.name, sha256: viaWorkers.sha256[i]! })));
    expect(refHashZip(join(dir, 'workers.zip'))).toBe(ours);
  });

  it('fails cleanly (no hang, no half-run workers) when a file changed size or vanished', async () => {
    const { dir, inputs } = tree();
    const grown = inputs.map((f, i) => (i === BATCH_FILES + 3 ? { ...f, size: f.size - 1 } : f));
    await expect(writeZip(grown, join(dir, 'a.zip'), { workers: 2 })).rejects.toThrow(/changed size while zipping/);
    await expect(writeZip(grown, join(dir, 'b.zip'), { workers: 0 })).rejects.toThrow(/changed size while zipping/);
    const gone = inputs.map((f, i) => (i === 5 ? { ...f, path: join(dir, 'no-such-file') } : f));
    await expect(writeZip(gone, join(dir, 'c.zip'), { workers: 2 })).rejects.toThrow(/ENOENT|no such file/);
  });

  it('writes ZIP64 end records past 65535 entries from worker batches, readable by Go', async () => {
    const dir = track(tempDir('zip64w-'));
    const file = join(dir, 'x.txt');
    writeFileSync(file, 'same bytes\n');
    const inputs = Array.from({ length: 65_600 }, (_, i) => ({ name: `m@v1.0.0/f${i}.txt`, path: file, size: 11 }));
    const r = await writeZip(inputs, join(dir, 'big.zip'), { workers: 2 });
    expect(r.sha256).toHaveLength(65_600);
    expect(refHashZip(join(dir, 'big.zip'))).toBe(hash1(inputs.map((f, i) => ({ name: f.name, sha256: r.sha256[i]! }))));
  }, 120_000);
});

describe('sortUtf8', () => {
  it('orders like a byte-wise comparison of the UTF-8 encodings (property)', () => {
    // ASCII, 2-byte, the U+E000–U+FFFF range and astral characters: the orders differ
    // only between the last two.
    const char = fc.constantFrom('a', 'Z', '/', 'é', 'ß', '\uE000', '\uFF5E', '\uFFFD', '\u{10000}', '\u{1F600}');
    const str = fc.array(char, { maxLength: 5 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(str, { maxLength: 30 }), (xs) => {
        const want = [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(sortUtf8([...xs], (x) => x)).toEqual(want);
      }),
    );
    // The case UTF-16 order gets wrong: U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80).
    expect(sortUtf8(['\u{1F600}', '\uFF5E'], (x) => x)).toEqual(['\uFF5E', '\u{1F600}']);
  });
});
