import { normalizeProjectName } from './name.js';
import { normalizePep440 } from './version.js';

/**
 * Distribution file names, parsed as `packaging.utils.parse_wheel_filename` and
 * `parse_sdist_filename` parse them (the parsers pip and PyPI use). Pure; judged by packaging
 * in test/unit/pypa.test.ts. An index that stores files adds its own, stricter rules on top
 * (registry/python/filename.ts).
 *
 *  - wheel (PEP 427): `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`;
 *    exactly 4 or 5 dashes, the distribution has `_` for `-` and no `__`, the build tag starts
 *    with a digit; the tags are not judged (packaging accepts any).
 *  - sdist (PEP 625): `{name}-{version}.tar.gz`, or a legacy `.zip`. The version cannot contain
 *    `-`, so the name is everything before the last dash (and is not judged).
 * `name` is PEP 503-normalised; `version` is as written in the file name.
 */
export type DistFile =
  | { kind: 'wheel'; name: string; version: string; build: string | null; tags: string }
  | { kind: 'sdist'; name: string; version: string; ext: '.tar.gz' | '.zip' };

// Python's `^[\w\d._]*$` (re.UNICODE): `\w` is letters, digits and `_`; `$` also matches before a final newline.
const WHEEL_NAME = /^[\p{L}\p{N}_.]*\n?$/u;
// Python's `(\d+)` as re.match uses it: starts with a (Unicode) decimal digit.
const BUILD_TAG = /^\p{Nd}/u;

export function parseDistFilename(filename: string): DistFile | { error: string } {
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -'.whl'.length).split('-');
    if (parts.length !== 5 && parts.length !== 6) {
      return { error: 'is not a wheel name {distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl' };
    }
    const [dist, version] = parts as [string, string];
    if (!WHEEL_NAME.test(dist) || dist.includes('__')) return { error: `has an invalid distribution part "${dist}" (letters, digits, . and single _)` };
    if (!normalizePep440(version)) return { error: `has version "${version}", which is not a PEP 440 version` };
    const build = parts.length === 6 ? parts[2]! : null;
    if (build !== null && !BUILD_TAG.test(build)) return { error: `has build tag "${build}", which must start with a digit` };
    return { kind: 'wheel', name: normalizeProjectName(dist), version, build, tags: parts.slice(-3).join('-') };
  }
  const ext = filename.endsWith('.tar.gz') ? '.tar.gz' : filename.endsWith('.zip') ? '.zip' : null;
  if (!ext) return { error: 'must end in .whl (wheel), .tar.gz or .zip (sdist)' };
  const stem = filename.slice(0, -ext.length);
  const dash = stem.lastIndexOf('-');
  if (dash < 0) return { error: 'is not an sdist name {name}-{version}.tar.gz' };
  const version = stem.slice(dash + 1);
  if (!normalizePep440(version)) return { error: `has version "${version}", which is not a PEP 440 version` };
  return { kind: 'sdist', name: normalizeProjectName(stem.slice(0, dash)), version, ext };
}

/**
 * The version of a wheel or sdist file name in PEP 440 normal form, or null when the name is
 * neither: how a client reads the releases an index lists (e.g. the doctor's "latest release").
 */
export function versionFromFileName(filename: string): string | null {
  const p = parseDistFilename(filename);
  return 'error' in p ? null : normalizePep440(p.version);
}
