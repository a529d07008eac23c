import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import yazl from 'yazl';
import { usageError } from '../../util/errors.js';
import { hash1, type HashedFile } from './dirhash.js';
import { selectModuleFiles, type FileSelection } from './modzip-files.js';
import { checkModulePath, checkPathMajor, canonicalSemver } from './module.js';

/**
 * Build the module zip `go` would make for a directory (x/mod/zip.CreateFromDir): same file
 * set, entries `module@version/<path>`, FILE entries only (a directory entry would change
 * h1). Everything is checked before the first byte is written; the zip is streamed to disk
 * (never held in memory) while each file's sha256 is taken from the very bytes zipped, so
 * the returned h1 is the hash of this zip. Deflate runs on libuv's thread pool, so
 * compression overlaps hashing and reading on the other core.
 */
export interface ModuleZip {
  path: string;
  h1: string;
  files: number;
  size: number;
  uncompressed: number;
  selection: FileSelection;
}

export function describeInvalid(sel: FileSelection): string {
  const shown = sel.invalid.slice(0, 5).map((i) => `${i.path}: ${i.reason}`);
  const more = sel.invalid.length > 5 ? ` (and ${sel.invalid.length - 5} more)` : '';
  return shown.join('; ') + more;
}

export async function buildModuleZip(dir: string, module: string, version: string, outPath: string): Promise<ModuleZip> {
  const badPath = checkModulePath(module);
  if (badPath) throw usageError(`invalid module path ${module}: ${badPath}`);
  if (canonicalSemver(version) !== version) throw usageError(`version ${version} is not canonical`);
  const badMajor = checkPathMajor(version, module);
  if (badMajor) throw usageError(badMajor);
  const selection = await selectModuleFiles(dir);
  if (selection.invalid.length) throw usageError(`module ${module} in ${dir} cannot be zipped: ${describeInvalid(selection)}`);
  if (selection.sizeError) throw usageError(`module ${module}: ${selection.sizeError}`);

  const prefix = `${module}@${version}/`;
  const zip = new yazl.ZipFile();
  const hashed: HashedFile[] = [];
  const fixedTime = new Date(Date.UTC(1980, 0, 1));
  for (const f of selection.valid) {
    const name = prefix + f.path;
    zip.addReadStreamLazy(name, { mtime: fixedTime, compress: f.size > 0, size: f.size }, (cb) => {
      const h = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _e, done) {
          h.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          hashed.push({ name, sha256: h.digest('hex') });
          done();
        },
      });
      cb(null, createReadStream(f.abs, { highWaterMark: 256 * 1024 }).on('error', (e) => tap.destroy(e)).pipe(tap));
    });
  }
  zip.end();
  try {
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(outPath);
      zip.outputStream.on('error', reject).pipe(out).on('finish', () => resolve()).on('error', reject);
    });
  } catch (err) {
    await rm(outPath, { force: true });
    throw err;
  }
  if (hashed.length !== selection.valid.length) throw new Error(`internal: hashed ${hashed.length} of ${selection.valid.length} files`);
  return {
    path: outPath,
    h1: hash1(hashed),
    files: hashed.length,
    size: (await stat(outPath)).size,
    uncompressed: selection.valid.reduce((a, f) => a + f.size, 0),
    selection,
  };
}
