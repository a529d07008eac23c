import { escapePath } from '../../gomod/escape.js';

/**
 * What the registry refuses at upload beyond x/mod's own limits (src/gomod/limits.ts): an
 * oversized .info, and a module@version whose names its storage could not hold. Stricter than
 * x/mod on purpose, and checked before anything is written. Pure.
 */

/** `.info` documents are tiny; anything bigger is not an info file. */
export const MAX_INFO = 64 << 10;

/**
 * Name lengths the storage can hold. x/mod puts no bound on path elements or prereleases, but
 * every module path element becomes a directory name and every version a file name (Athens
 * layout: <module>/<version>/<version>.info; GOPROXY layout: <escaped module>/@v/<escaped
 * version>.info), and file systems (ext4, xfs, btrfs, tmpfs, overlayfs) hold at most 255 bytes
 * per name and PATH_MAX = 4096 bytes per path. A name that cannot be stored is the client's
 * problem (400), found before anything is written, not an ENAMETOOLONG deep in the storage.
 */
export const MAX_NAME_BYTES = 255;
/** What the storage appends to a version's file name: ".info" and a temp mark ".tmp-<pid>-<8 hex>". */
export const VERSION_NAME_RESERVE = '.info'.length + '.tmp-4194304-01234567'.length;
/** Room left for the storage root (and its own prefixes) inside PATH_MAX. */
export const STORAGE_ROOT_RESERVE = 1024;
export const MAX_PATH_BYTES = 4096;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const shorten = (s: string) => (s.length > 40 ? `${s.slice(0, 20)}…${s.slice(-12)}` : s);

/**
 * Can module@version be stored under both layouts? null = yes, else why not. Expects a module
 * path and version already valid by x/mod's rules (ASCII, so bytes = characters).
 */
export function checkStorable(module: string, version: string): string | null {
  for (const elem of module.split('/')) {
    const n = bytes(escapePath(elem));
    if (n > MAX_NAME_BYTES) {
      return `module path element "${shorten(elem)}" is ${n} bytes as stored (upper case is escaped as !x); file systems hold at most ${MAX_NAME_BYTES} bytes per name`;
    }
  }
  const v = bytes(escapePath(version));
  if (v + VERSION_NAME_RESERVE > MAX_NAME_BYTES) {
    return `version "${shorten(version)}" is ${v} bytes as stored; versions may be at most ${MAX_NAME_BYTES - VERSION_NAME_RESERVE} bytes (file systems hold ${MAX_NAME_BYTES} bytes per name, and the storage adds up to ${VERSION_NAME_RESERVE} to it)`;
  }
  // The longest path of the two layouts: <module>/<version>/<version>.info (Athens) or
  // <escaped module>/@v/<escaped version>.info.tmp-… (GOPROXY), below the storage root.
  const athens = bytes(module) + 1 + bytes(version) * 2 + 1 + VERSION_NAME_RESERVE;
  const proxy = bytes(escapePath(module)) + '/@v/'.length + v + VERSION_NAME_RESERVE;
  const longest = Math.max(athens, proxy);
  if (longest > MAX_PATH_BYTES - STORAGE_ROOT_RESERVE) {
    return `module path and version together need ${longest} bytes of file path; at most ${MAX_PATH_BYTES - STORAGE_ROOT_RESERVE} fit below the storage root (PATH_MAX ${MAX_PATH_BYTES})`;
  }
  return null;
}
