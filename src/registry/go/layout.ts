import { createHash } from 'node:crypto';
import { canonicalSemver, isValidSemver } from '../../gomod/semver.js';
import { escapePath } from '../../gomod/escape.js';

/**
 * Pure rules of the Go storage tree (see the invariants in storage.ts and docs/architecture.md
 * §7.2): which names a (module, version) needs, which other modules' version directories its
 * path runs through, and how its lock is named. No I/O, so every rule is unit-testable.
 *
 * Why the two layouts cannot collide except through version-shaped elements: x/mod allows only
 * letters, digits and `-._~` in module path elements, and no leading dot. So no module path
 * contains `@v` (the GOPROXY directory), `!` (case escapes — an escaped tree can never be
 * another module's Athens tree), or starts an element with `.` (`.staging`, `.locks`). What
 * remains is an element that is itself a canonical version — `example.com/m/v1.0.0/sub` — whose
 * Athens directory lies inside `example.com/m`'s version directory `v1.0.0`.
 */

/** Bytes per file name on ext4, xfs, btrfs, tmpfs and NFS. */
export const NAME_MAX = 255;
/** Bytes per path handed to the kernel, the terminating NUL included. */
export const PATH_MAX = 4096;
/** What storage appends for its temp names: `.tmp-<pid, ≤ 7 digits>-<8 hex>`. */
const TEMP_SUFFIX = '.tmp-'.length + 7 + 1 + 8;

/** A name Athens could have as a version directory (the uploader stores canonical versions only). */
export function isVersionName(name: string): boolean {
  return isValidSemver(name) && canonicalSemver(name) === name;
}

export interface ModuleVersion {
  module: string;
  version: string;
}

/**
 * The module versions whose Athens version directory `module`'s own directory would lie in:
 * one per version-shaped element after the first (the first has no module before it), shortest
 * prefix first — the order in which their locks are taken.
 */
export function enclosingVersions(module: string): ModuleVersion[] {
  const elems = module.split('/');
  const out: ModuleVersion[] = [];
  for (let i = 1; i < elems.length; i++) {
    if (isVersionName(elems[i]!)) out.push({ module: elems.slice(0, i).join('/'), version: elems[i]! });
  }
  return out;
}

/** Lock directory name of a module: bounded whatever the module path's length. */
export function lockName(module: string): string {
  return `go-${createHash('sha256').update(module).digest('hex')}`;
}

const bytes = (s: string) => Buffer.byteLength(s);
const shown = (s: string) => (s.length > 48 ? `${s.slice(0, 40)}… (${bytes(s)} bytes)` : s);

/**
 * Can a filesystem with 255-byte names and 4096-byte paths hold every name storage creates for
 * module@version under a root of `rootBytes` bytes? null when it can, else a one-line reason.
 * Checked before anything is written, so a refusal leaves no trace.
 */
export function checkStorageNames(rootBytes: number, module: string, version: string): string | null {
  const escModule = escapePath(module);
  const escVersion = escapePath(version);
  for (const [elem, esc] of module.split('/').map((e, i) => [e, escModule.split('/')[i]!] as const)) {
    if (bytes(esc) > NAME_MAX) {
      const how = esc === elem ? '' : ' case-escaped for the GOPROXY layout (! before each upper-case letter)';
      return `module path element ${JSON.stringify(shown(elem))} is too long to store: ${bytes(esc)} bytes${how}, the storage filesystem allows ${NAME_MAX} per name`;
    }
  }
  // Longest version-derived names: the staged `.info`'s atomic temp `.<version>.info.tmp-…`
  // and the GOPROXY temp `<escaped version>.info.tmp-…`.
  const longest = Math.max(bytes(`.${version}.info`), bytes(`${escVersion}.info`)) + TEMP_SUFFIX;
  if (longest > NAME_MAX) {
    return `version ${shown(version)} is too long to store: its file names would be up to ${longest} bytes, the storage filesystem allows ${NAME_MAX} per name`;
  }
  // Deepest paths: <root>/<module>/<version>/<version>.info and <root>/<escaped>/@v/<escaped version>.info.tmp-…
  const athens = rootBytes + 1 + bytes(module) + 1 + bytes(version) + 1 + bytes(`${version}.info`);
  const proxy = rootBytes + 1 + bytes(escModule) + '/@v/'.length + bytes(`${escVersion}.info`) + TEMP_SUFFIX;
  const deepest = Math.max(athens, proxy);
  if (deepest >= PATH_MAX) {
    return `module path and version are too long to store: their deepest file would need ${deepest - rootBytes} bytes of path below the storage root, which has room for ${PATH_MAX - 1 - rootBytes}`;
  }
  return null;
}
