import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_GO_MOD, MAX_ZIP_FILE } from '../../src/gomod/limits.js';
import type { Speculated } from '../../src/gomod/zip-check.js';
import { startZipScan, type ZipScan } from '../../src/registry/go/zip-scan.js';
import { ZipStreamScanner } from '../../src/registry/go/zip-stream.js';
import { buildZip, type RawEntry } from '../helpers/hostile-zips.js';
import { PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';

/**
 * The upload scanner runs on a worker thread (src/registry/go/zip-scan.ts). The worker is the
 * built file dist/cli/zip-scan-worker.js (the suite runs after the build); these tests drive it
 * directly and require exactly the records the scanner makes on the calling thread, and that a
 * worker that dies never leaves an upload waiting.
 */
const MOD = 'example.com/scan';
const PREFIX = `${MOD}@v1.0.0/`;
const WORKER = pathToFileURL(join(PROJECT_ROOT, 'dist/cli/zip-scan-worker.js'));
const { tmp } = scratchDirs();
const dir = tmp('zip-scan-');
let n = 0;

const options = (path: string) => ({ path, keepName: Buffer.from(`${PREFIX}go.mod`), keepLimit: MAX_GO_MOD, maxUncompressed: MAX_ZIP_FILE });

/** Write `bytes` to a new staging file in pieces, reporting each to `scan`; then its records. */
async function scanned(bytes: Buffer, start: (path: string) => ZipScan): Promise<Speculated> {
  const path = join(dir, `staged-${n++}.zip`);
  const fd = openSync(path, 'wx');
  const scan = start(path);
  try {
    for (let i = 0; i < bytes.length; i += 200_000) {
      const piece = bytes.subarray(i, i + 200_000);
      writeSync(fd, piece, 0, piece.length, i);
      scan.written(i + piece.length);
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
  return scan.finish();
}

const zip = () =>
  buildZip([
    { name: `${PREFIX}go.mod`, data: `module ${MOD}\n` },
    { name: `${PREFIX}a.go`, data: 'package scan\n'.repeat(500), descriptor: { signature: true } },
    { name: `${PREFIX}b.bin`, data: randomBytes(300_000), method: 0 },
    { name: `${PREFIX}c.txt`, data: Buffer.from(randomBytes(1_500_000).toString('base64')) },
  ] satisfies RawEntry[]);

describe('the upload scanner on its worker thread', () => {
  it('records exactly what the scanner records on the calling thread', async () => {
    expect(existsSync(WORKER), 'run the build first: dist/cli/zip-scan-worker.js').toBe(true);
    const bytes = zip();
    const inThread = await scanned(bytes, (path) => new ZipStreamScanner(options(path)));
    const onWorker = await scanned(bytes, (path) => startZipScan(options(path), WORKER));
    expect(inThread.size).toBe(4);
    expect(onWorker).toEqual(inThread);
    expect(Buffer.isBuffer(onWorker.get(0)!.content)).toBe(true); // go.mod's content survives the thread hop
    // Several uploads at once share the worker, each with its own records.
    const many = await Promise.all([zip(), zip(), zip()].map((b) => scanned(b, (path) => startZipScan(options(path), WORKER))));
    for (const records of many) expect(records.size).toBe(4);
  });

  it('a worker that dies answers "nothing recorded" (the upload reads its zip back), and the next upload starts another', async () => {
    const crashing = join(dir, 'crashing-worker.js');
    writeFileSync(crashing, "require('node:worker_threads').parentPort.on('message', (m) => { if (m.op === 'finish') process.exit(3); });\n");
    for (let i = 0; i < 2; i++) {
      const records = await scanned(zip(), (path) => startZipScan(options(path), pathToFileURL(crashing)));
      expect(records.size).toBe(0);
    }
  });

  it('without a worker file (run from the sources) the scanner runs on the calling thread', async () => {
    const records = await scanned(zip(), (path) => startZipScan(options(path), pathToFileURL(join(dir, 'no-such-worker.js'))));
    expect(records.size).toBe(4);
  });
});
