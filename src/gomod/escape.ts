import { checkModulePath, fileElemError } from './module-path.js';

/**
 * Case escaping of module paths and versions (x/mod module.EscapePath & co): every upper-case
 * letter becomes '!' + its lower-case form, so that paths differing only in case stay apart on
 * case-insensitive filesystems and in URLs. Module paths are ASCII and never contain '!', so
 * the escaping is reversible. Pure.
 */

/** Escape a string already known to be valid (a checked module path or version). */
export function escapePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
}

export const escapeVersion = escapePath;

/**
 * x/mod unescapeString: the inverse of escapePath, or null when `escaped` cannot be an
 * escaped string (an upper-case letter, a '!' not followed by a-z, anything non-ASCII).
 * Does not check that the result is a valid path: see unescapeModulePath.
 */
export function unescapePath(escaped: string): string | null {
  let out = '';
  let bang = false;
  for (const c of escaped) {
    if (c.charCodeAt(0) >= 0x80) return null;
    if (bang) {
      bang = false;
      if (c < 'a' || c > 'z') return null;
      out += c.toUpperCase();
      continue;
    }
    if (c === '!') {
      bang = true;
      continue;
    }
    if (c >= 'A' && c <= 'Z') return null;
    out += c;
  }
  return bang ? null : out;
}

/** x/mod EscapePath: null when path is not a valid module path. */
export function escapeModulePath(path: string): string | null {
  return checkModulePath(path) === null ? escapePath(path) : null;
}

/** x/mod UnescapePath: null when the escaping or the module path it names is invalid. */
export function unescapeModulePath(escaped: string): string | null {
  const path = unescapePath(escaped);
  return path !== null && checkModulePath(path) === null ? path : null;
}

/**
 * x/mod EscapeVersion: versions need not be semver here, but must be valid file-name elements
 * without '!'; null otherwise.
 */
export function escapeModuleVersion(v: string): string | null {
  if (fileElemError(v) !== null || v.includes('!')) return null;
  // escapeString refuses non-ASCII, which a file-name element may contain.
  for (const c of v) if (c.charCodeAt(0) >= 0x80) return null;
  return escapePath(v);
}

/** x/mod UnescapeVersion: null when the escaping is invalid or the result is no valid file name. */
export function unescapeModuleVersion(escaped: string): string | null {
  const v = unescapePath(escaped);
  return v !== null && fileElemError(v) === null ? v : null;
}
