import { rm } from 'node:fs/promises';
import { usageError } from '../util/errors.js';
import { hash1, type HashedFile } from './dirhash.js';
import { selectModuleFiles, type FileSelection } from './zip-files.js';
import { checkModulePath, checkPathMajor } from './module-path.js';
import { canonicalSemver } from './semver.js';
import { writeZip } from './zip-writer.js';

/**
 * Build the module zip `go` would make for a directory (x/mod/zip.CreateFromDir): same file
 * set, entries `module@version/<path>`, FILE entries only (a directory entry would change
 * h1). Everything is checked before the first byte is written; the zip is streamed to disk
 * (never held in memory) while each file's sha256 is taken from the very bytes zipped, so
 * the returned h1 is the hash of this zip. Entries are prepared (read, hashed, deflated) in
 * batches on worker threads ahead of the writer (zip-writer.ts), so compression uses every
 * core.
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
  const inputs = selection.valid.map((f) => ({ name: prefix + f.path, path: f.abs, size: f.size }));
  let written;
  try {
    written = await writeZip(inputs, outPath);
  } catch (err) {
    await rm(outPath, { force: true });
    throw err;
  }
  const hashed: HashedFile[] = inputs.map((inp, i) => ({ name: inp.name, sha256: written.sha256[i]! }));
  if (hashed.length !== selection.valid.length) throw new Error(`internal: hashed ${hashed.length} of ${selection.valid.length} files`);
  return {
    path: outPath,
    h1: hash1(hashed),
    files: hashed.length,
    size: written.bytes,
    uncompressed: selection.valid.reduce((a, f) => a + f.size, 0),
    selection,
  };
}
