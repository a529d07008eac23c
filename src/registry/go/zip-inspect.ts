import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { hash1, type HashedFile } from '../../languages/go/dirhash.js';
import { MAX_GO_MOD, MAX_LICENSE } from '../../languages/go/limits.js';
import { checkFilePath } from '../../languages/go/module.js';
import { collisionChecker } from '../../languages/go/fold.js';

/**
 * Check an uploaded module zip the way x/mod/zip.CheckZip does, and hash it, reading every
 * entry's actual bytes (declared sizes are never trusted). Throws ZipRejection.
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
  files: number;
  uncompressedBytes: number;
}

/** Entries inflated at once: enough to keep both cores and the thread pool busy. */
export const INSPECT_CONCURRENCY = 8;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: true, strictFileNames: false }, (err, zf) =>
      err || !zf ? reject(new ZipRejection(`not a readable zip: ${err?.message ?? 'unknown error'}`)) : resolve(zf),
    ),
  );
}

export async function inspectModuleZip(path: string, module: string, version: string, maxUncompressed: number): Promise<ZipInspection> {
  const prefix = `${module}@${version}/`;
  const zf = await openZip(path);
  const hashed: HashedFile[] = [];
  let goMod: Buffer | null = null;
  let total = 0;
  let files = 0;

  const collide = collisionChecker();

  try {
    await new Promise<void>((resolve, reject) => {
      // Entries are inflated and hashed CONCURRENTLY (zlib runs on the thread pool), up to
      // INSPECT_CONCURRENCY at once; the central directory is still walked in order and every
      // check that depends on earlier entries (collisions) runs synchronously per entry.
      let inFlight = 0;
      let listed = false;
      let parked = false;
      let failed = false;
      const next = () => {
        if (failed) return;
        if (inFlight < INSPECT_CONCURRENCY) zf.readEntry();
        else parked = true;
      };
      const settleIfDone = () => {
        if (listed && inFlight === 0 && !failed) resolve();
      };
      zf.on('error', (e: Error) => {
        failed = true;
        reject(e instanceof ZipRejection ? e : new ZipRejection(`invalid zip: ${e.message}`));
      });
      zf.on('end', () => {
        listed = true;
        settleIfDone();
      });
      zf.on('entry', (entry: yauzl.Entry) => {
        const fail = (msg: string, tooLarge = false) => {
          failed = true;
          reject(new ZipRejection(msg, tooLarge));
        };
        const full = entry.fileName;
        if (!full.startsWith(prefix)) return fail(`zip entry "${full}" is outside ${prefix}`);
        let name = full.slice(prefix.length);
        if (name === '') return next();
        const isDir = name.endsWith('/');
        if (isDir) name = name.slice(0, -1);
        if (name.split('/').some((e) => e === '' || e === '.' || e === '..')) return fail(`zip entry "${full}": file path is not clean`);
        const bad = checkFilePath(name);
        if (bad) return fail(`zip entry "${full}": malformed file path: ${bad}`);
        const c = collide(name, isDir);
        if (c) return fail(`zip entry "${full}": ${c}`);
        if (isDir) {
          // Directory entries are legal but hashed (with empty content), as dirhash does.
          hashed.push({ name: full, sha256: createHash('sha256').digest('hex') });
          return next();
        }
        const base = name.slice(name.lastIndexOf('/') + 1);
        if (base.toLowerCase() === 'go.mod' && name !== 'go.mod') {
          return fail(name.includes('/') ? `zip entry "${full}": go.mod file not in module root directory` : `zip entry "${full}": go.mod file name not lower case`);
        }
        const cap = name === 'go.mod' ? MAX_GO_MOD : name === 'LICENSE' ? MAX_LICENSE : Infinity;
        inFlight++;
        zf.openReadStream(entry, (err, stream) => {
          if (err || !stream) return fail(`zip entry "${full}": ${err?.message ?? 'cannot read'}`);
          next();
          const h = createHash('sha256');
          const keep: Buffer[] = [];
          let n = 0;
          stream.on('data', (chunk: Buffer) => {
            n += chunk.length;
            total += chunk.length;
            if (total > maxUncompressed) {
              stream.destroy();
              return fail(`module zip is too large uncompressed (max ${maxUncompressed} bytes)`, true);
            }
            if (n > cap) {
              stream.destroy();
              return fail(`${name} is too large (max ${cap} bytes)`, true);
            }
            h.update(chunk);
            if (name === 'go.mod') keep.push(chunk);
          });
          stream.on('error', (e) => fail(`zip entry "${full}": ${e.message}`));
          stream.on('end', () => {
            files++;
            inFlight--;
            hashed.push({ name: full, sha256: h.digest('hex') });
            if (name === 'go.mod') goMod = Buffer.concat(keep);
            if (parked) {
              parked = false;
              next();
            }
            settleIfDone();
          });
        });
      });
      next();
    });
  } finally {
    zf.close();
  }
  return { h1: hash1(hashed), goMod, files, uncompressedBytes: total };
}
