import type { Snapshot } from '../../snapshot/resolve.js';
import { usageError } from '../../util/errors.js';
import { canonicalSemver, compareSemver, isValidSemver, semverMajor } from '../../gomod/semver.js';
import { checkModulePath, checkPathMajor, splitPathVersion } from '../../gomod/module-path.js';
import { pseudoVersion } from '../../gomod/pseudo.js';

/**
 * Go snapshot versions (docs/architecture.md §4). Pure: tags are passed in, not read here.
 *  goBase "pseudo": v0.0.0-<ts>-<sha>, the form the replaced scripts used.
 *  goBase "tags":   Go's own pseudo-version rules from the newest reachable vX.Y.Z tag.
 */
export const GO_OVERRIDE_VAR = 'AMEIDE_GO_SDK_VERSION';

export type GoBase = 'pseudo' | 'tags';

/** The major a module path implies: v0 for no suffix, vN for `/vN`. */
export function pathMajorVersion(modulePath: string): string {
  const { pathMajor } = splitPathVersion(modulePath);
  return pathMajor ? pathMajor.replace(/^[/.]/, '').replace(/-unstable$/, '') : 'v0';
}

/**
 * Newest tag (already stripped of the module's directory prefix) that Go would use as the
 * base: canonical semver whose major matches the module path.
 */
export function newestBaseTag(tags: string[], modulePath: string): string {
  const major = pathMajorVersion(modulePath);
  const fits = (t: string) =>
    isValidSemver(t) && canonicalSemver(t) === t && (major === 'v0' ? ['v0', 'v1'].includes(semverMajor(t)) : semverMajor(t) === major);
  return tags.filter(fits).sort(compareSemver).at(-1) ?? '';
}

export function goSnapshotVersion(
  modulePath: string,
  snap: Pick<Snapshot, 'timestamp' | 'gitSha'>,
  goBase: GoBase,
  tags: string[] = [],
): string {
  let v: string;
  if (goBase === 'pseudo') {
    v = pseudoVersion('v0', '', snap.timestamp, snap.gitSha);
  } else {
    const base = newestBaseTag(tags, modulePath);
    const major = base ? semverMajor(base) : pathMajorVersion(modulePath);
    v = pseudoVersion(major, base, snap.timestamp, snap.gitSha);
  }
  const bad = checkPathMajor(v, modulePath);
  if (bad) {
    throw usageError(
      `${bad}: with goBase "pseudo" every snapshot is v0.0.0-…; set "goBase": "tags" and tag a ${pathMajorVersion(modulePath)}.x.y release, or set ${GO_OVERRIDE_VAR}`,
    );
  }
  return v;
}

export function goOverrideVersion(value: string, modulePath: string): string {
  const v = value.trim();
  if (!isValidSemver(v) || canonicalSemver(v) !== v) {
    throw usageError(`${GO_OVERRIDE_VAR}="${value}" is not a canonical Go version (vX.Y.Z or vX.Y.Z-pre)`);
  }
  const bad = checkPathMajor(v, modulePath);
  if (bad) throw usageError(`${GO_OVERRIDE_VAR}="${value}": ${bad}`);
  return v;
}

/**
 * Is (module path, version) what `go` accepts in a require line (x/mod module.Check)? null
 * when yes, else why not. What every reader of a go state record checks (its `record.checkPackage`, see index.ts).
 */
export function validateGoPackage(modulePath: string, version: string): string | null {
  const bad = checkModulePath(modulePath);
  if (bad) return `${JSON.stringify(modulePath)} is not a valid Go module path (${bad})`;
  if (!isValidSemver(version) || canonicalSemver(version) !== version) return `${JSON.stringify(version)} is not a canonical Go version for ${modulePath} (vX.Y.Z[-pre])`;
  const major = checkPathMajor(version, modulePath);
  if (major) return major;
  return null;
}
