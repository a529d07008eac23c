import { normalizeProjectName, normalizePep440, parseDistFilename as parsePackaging, pep440Equal, type DistFile } from '../../pypa/index.js';

/**
 * Upload file names: parsed as `packaging.utils` parses them (src/pypa), so a file lands only
 * under the project and version it claims, plus the index's own rules. Pure.
 *
 * Deliberately stricter than packaging (test/unit/python-filename.test.ts lists each case):
 * names become paths and URLs here, so they are ASCII from [A-Za-z0-9._+!-], at most
 * MAX_FILENAME bytes (the temp name of the `.json` next to it must fit a directory entry), and
 * wheel tags have no empty parts.
 */
export type { DistFile };

export type Filetype = 'bdist_wheel' | 'sdist';

/**
 * The longest file name whose metadata's temp name still fits one 255-byte directory entry:
 * `.<filename>.json.tmp-<pid ≤ 7 digits>-<8 hex>` adds 27 bytes (util/atomic.ts tempSibling).
 */
export const MAX_FILENAME = 255 - 27;
const SAFE = /^[A-Za-z0-9._+!-]+$/;
const TAG_SET = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export function parseDistFilename(filename: string): DistFile | { error: string } {
  if (!SAFE.test(filename) || filename.startsWith('.')) return { error: 'may only contain ASCII letters, digits and . _ + ! - (and not start with .)' };
  if (filename.length > MAX_FILENAME) return { error: `is longer than ${MAX_FILENAME} characters` };
  const p = parsePackaging(filename);
  if (!('error' in p) && p.kind === 'wheel' && !p.tags.split('-').every((t) => TAG_SET.test(t))) return { error: `has invalid compatibility tags "${p.tags}"` };
  return p;
}

/**
 * Does `filename` belong to this upload's `name`, `version` and `filetype`? null when it does,
 * else the reason (one line, quoting the file name). Versions compare as PEP 440 versions
 * (`1.4` = `1.4.0`, `1.4RC1` = `1.4rc1`), names as PEP 503 normalized names.
 */
export function checkUploadFilename(filename: string, upload: { project: string; version: string; filetype: Filetype }): string | null {
  const f = JSON.stringify(filename);
  const p = parseDistFilename(filename);
  if ('error' in p) return `file name ${f} ${p.error}`;
  const want = upload.filetype === 'bdist_wheel' ? 'wheel' : 'sdist';
  if (p.kind !== want) return `file name ${f}: filetype ${upload.filetype} needs ${want === 'wheel' ? 'a .whl' : 'a .tar.gz or .zip'} file`;
  const project = normalizeProjectName(upload.project);
  if (p.name !== project) return `file name ${f} is for project "${p.name}", not ${project}`;
  const fieldVersion = normalizePep440(upload.version.trim());
  if (!fieldVersion) return `version field ${JSON.stringify(upload.version)} is not a PEP 440 version`;
  if (!pep440Equal(p.version, fieldVersion)) return `file name ${f} has version ${normalizePep440(p.version)}, but the version field is ${fieldVersion}`;
  return null;
}
