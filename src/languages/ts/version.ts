import semver from 'semver';
import type { Snapshot } from '../../snapshot/resolve.js';
import { usageError } from '../../util/errors.js';

/**
 * npm snapshot versions: `<MAJOR.MINOR.PATCH>-dev.<timestamp>.<sha>` (DESIGN.md §4). Pure.
 *
 * A 12-digit SHA with a leading zero is not a valid semver prerelease identifier and npm
 * would silently rewrite it (dropping the zero) — then, and only then, it becomes `g<sha>`.
 */
export const TS_OVERRIDE_VAR = 'AMEIDE_TS_SDK_VERSION';

export function npmShaIdentifier(sha: string): string {
  return /^[0-9]+$/.test(sha) && sha.startsWith('0') ? `g${sha}` : sha;
}

/** MAJOR.MINOR.PATCH of a package.json version; throws on a non-semver version. */
export function tsBaseVersion(pkgVersion: string, pkgName: string): string {
  const v = semver.parse(pkgVersion);
  if (!v) throw usageError(`${pkgName}: package.json version "${pkgVersion}" is not valid semver`);
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function tsSnapshotVersion(base: string, snap: Pick<Snapshot, 'timestamp' | 'gitSha'>): string {
  const v = `${base}-dev.${snap.timestamp}.${npmShaIdentifier(snap.gitSha)}`;
  // npm "cleans" invalid versions instead of refusing them; never hand it one.
  if (semver.valid(v) !== v) throw new Error(`internal: computed npm version ${v} is not valid semver`);
  return v;
}

/** Validate an override exactly as npm would need it: valid and already clean. */
export function tsOverrideVersion(value: string): string {
  const v = value.trim();
  if (semver.valid(v) !== v) {
    throw usageError(`${TS_OVERRIDE_VAR}="${value}" is not a valid semver version (e.g. 1.2.3 or 1.2.3-rc.1)`);
  }
  return v;
}
