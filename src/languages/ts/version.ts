import type { Snapshot } from '../../snapshot/resolve.js';
import { usageError } from '../../util/errors.js';
import { npmNameProblem } from './package-name.js';

/**
 * npm snapshot versions: `<MAJOR.MINOR.PATCH>-dev.<timestamp>.<sha>` (docs/architecture.md §4). Pure.
 *
 * A 12-digit SHA with a leading zero is not a valid semver prerelease identifier and npm
 * would silently rewrite it (dropping the zero) — then, and only then, it becomes `g<sha>`.
 */
export const TS_OVERRIDE_VAR = 'AMEIDE_TS_SDK_VERSION';

// SemVer 2.0 without build metadata, numbers without leading zeros: exactly the strings for
// which npm's `semver.valid(v) === v`. Kept local because `version` runs on every Tilt loop
// and evaluating the semver package costs ~12 ms of start-up; a property test pins the
// equivalence to semver itself.
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)';
const CLEAN_SEMVER = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-${PRE_ID}(?:\\.${PRE_ID})*)?$`);
// npm semver's MAX_LENGTH, and its refusal of numbers above MAX_SAFE_INTEGER.
const MAX_LENGTH = 256;

/** True when npm would keep `v` exactly as written (valid and already clean). */
export function isCleanSemver(v: string): boolean {
  if (v.length > MAX_LENGTH) return false;
  const m = CLEAN_SEMVER.exec(v);
  return m !== null && [m[1], m[2], m[3]].every((n) => Number(n) <= Number.MAX_SAFE_INTEGER);
}

// What semver.parse accepts for a package.json version: surrounding space, one optional "v", build metadata.
const PARSE_BASE = new RegExp(`^\\s*v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?\\s*$`);

export function npmShaIdentifier(sha: string): string {
  return /^[0-9]+$/.test(sha) && sha.startsWith('0') ? `g${sha}` : sha;
}

/** MAJOR.MINOR.PATCH of a package.json version; throws on a non-semver version. */
export function tsBaseVersion(pkgVersion: string, pkgName: string): string {
  const m = pkgVersion.length <= MAX_LENGTH ? PARSE_BASE.exec(pkgVersion) : null;
  if (!m || ![m[1], m[2], m[3]].every((n) => Number(n) <= Number.MAX_SAFE_INTEGER)) {
    throw usageError(`${pkgName}: package.json version "${pkgVersion}" is not valid semver`);
  }
  return `${m[1]}.${m[2]}.${m[3]}`;
}

export function tsSnapshotVersion(base: string, snap: Pick<Snapshot, 'timestamp' | 'gitSha'>): string {
  const v = `${base}-dev.${snap.timestamp}.${npmShaIdentifier(snap.gitSha)}`;
  // npm "cleans" invalid versions instead of refusing them; never hand it one.
  if (!isCleanSemver(v)) throw new Error(`internal: computed npm version ${v} is not valid semver`);
  return v;
}

/** Validate an override exactly as npm would need it: valid and already clean. */
export function tsOverrideVersion(value: string): string {
  const v = value.trim();
  if (!isCleanSemver(v)) {
    throw usageError(`${TS_OVERRIDE_VAR}="${value}" is not a valid semver version (e.g. 1.2.3 or 1.2.3-rc.1)`);
  }
  return v;
}

/**
 * Is (name, version) something npm would publish and install exactly as written? null when
 * yes, else why not. What every reader of a ts state record checks (its `record.checkPackage`, see index.ts).
 */
export function validateTsPackage(name: string, version: string): string | null {
  const bad = npmNameProblem(name);
  if (bad) return `${JSON.stringify(name)} is not a valid npm package name (${bad})`;
  if (!isCleanSemver(version)) return `${JSON.stringify(version)} is not a valid semver version for ${name} (npm needs an exact version like 1.2.3-dev.1)`;
  return null;
}
