import * as pep440 from '@renovatebot/pep440';
import { normalizeDistName } from '../../languages/python/version.js';

/**
 * Upload file names, parsed the way `packaging.utils` (the tool pip and PyPI use) parses them,
 * so a file lands only under the project and version it claims. Pure.
 *
 *  - wheel (PEP 427, "binary distribution format"):
 *    `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`;
 *    the distribution has `_` for `-` (so exactly 4 or 5 dashes), the build tag starts with a digit.
 *  - sdist (PEP 625): `{name}-{version}.tar.gz`; legacy `.zip` sdists are accepted too. The
 *    version cannot contain `-`, so the name is everything before the last dash.
 *
 * Deliberately stricter than packaging (test/unit/python-filename.test.ts lists each case):
 * names become paths and URLs here, so they are ASCII from [A-Za-z0-9._+!-], at most
 * MAX_FILENAME bytes (the temp name of the `.json` next to it must fit a directory entry), and wheel tags have
 * no empty parts.
 */
export type DistFile =
  | { kind: 'wheel'; name: string; version: string; build: string | null; tags: string }
  | { kind: 'sdist'; name: string; version: string; ext: '.tar.gz' | '.zip' };

export type Filetype = 'bdist_wheel' | 'sdist';

/**
 * The longest file name whose metadata's temp name still fits one 255-byte directory entry:
 * `.<filename>.json.tmp-<pid ≤ 7 digits>-<8 hex>` adds 27 bytes (util/atomic.ts tempSibling).
 */
export const MAX_FILENAME = 255 - 27;
const SAFE = /^[A-Za-z0-9._+!-]+$/;
const WHEEL_NAME = /^[A-Za-z0-9._]*$/;
const TAG_SET = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/**
 * PEP 440 normal form, as `str(packaging.version.Version(v))` prints it; null if invalid.
 * (Not pep440.clean: it joins local segments with "," — `1.0+g1_2` → `1.0+g1,2`.)
 */
export function normalizePep440(v: string): string | null {
  const e = pep440.valid(v) ? pep440.explain(v) : null;
  if (!e) return null;
  return e.local ? `${e.public}+${e.local}` : e.public;
}

export function parseDistFilename(filename: string): DistFile | { error: string } {
  if (!SAFE.test(filename) || filename.startsWith('.')) return { error: 'may only contain ASCII letters, digits and . _ + ! - (and not start with .)' };
  if (filename.length > MAX_FILENAME) return { error: `is longer than ${MAX_FILENAME} characters` };
  if (filename.endsWith('.whl')) {
    const stem = filename.slice(0, -'.whl'.length);
    const parts = stem.split('-');
    if (parts.length !== 5 && parts.length !== 6) {
      return { error: 'is not a wheel name {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl' };
    }
    const [dist, version] = parts as [string, string];
    if (!WHEEL_NAME.test(dist) || dist.includes('__')) return { error: `has an invalid distribution part "${dist}" (letters, digits, . and single _)` };
    if (!normalizePep440(version)) return { error: `has version "${version}", which is not a PEP 440 version` };
    const build = parts.length === 6 ? parts[2]! : null;
    if (build !== null && !/^\d/.test(build)) return { error: `has build tag "${build}", which must start with a digit` };
    const tags = parts.slice(-3);
    if (!tags.every((t) => TAG_SET.test(t))) return { error: `has invalid compatibility tags "${tags.join('-')}"` };
    return { kind: 'wheel', name: normalizeDistName(dist), version, build, tags: tags.join('-') };
  }
  const ext = filename.endsWith('.tar.gz') ? '.tar.gz' : filename.endsWith('.zip') ? '.zip' : null;
  if (!ext) return { error: 'must end in .whl (wheel), .tar.gz or .zip (sdist)' };
  const stem = filename.slice(0, -ext.length);
  const dash = stem.lastIndexOf('-');
  if (dash < 0) return { error: 'is not an sdist name {name}-{version}.tar.gz' };
  const version = stem.slice(dash + 1);
  if (!normalizePep440(version)) return { error: `has version "${version}", which is not a PEP 440 version` };
  return { kind: 'sdist', name: normalizeDistName(stem.slice(0, dash)), version, ext };
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
  const project = normalizeDistName(upload.project);
  if (p.name !== project) return `file name ${f} is for project "${p.name}", not ${project}`;
  const fieldVersion = normalizePep440(upload.version.trim());
  if (!fieldVersion) return `version field ${JSON.stringify(upload.version)} is not a PEP 440 version`;
  if (!pep440.eq(p.version, fieldVersion)) return `file name ${f} has version ${normalizePep440(p.version)}, but the version field is ${fieldVersion}`;
  return null;
}
