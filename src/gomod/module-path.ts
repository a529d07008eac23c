import { semverBuild, semverMajor, isValidSemver } from './semver.js';

/**
 * Module, import and file paths and their major-version suffixes, ported from
 * golang.org/x/mod/module (CheckPath, CheckImportPath, CheckFilePath, SplitPathVersion,
 * CheckPathMajor, Check). Every function returns null when valid, else the reason. Pure.
 *
 * The three kinds differ only in small ways, which is why they share checkElem:
 *  - module paths: ASCII letters, digits and - . _ ~; no element starts with a dot; the first
 *    element is a lower-case domain with a dot; a /vN (or gopkg.in .vN) suffix must be sane;
 *  - import paths: also '+';
 *  - file paths: also Unicode letters, space and !#$%&()+,=@[]^{}; leading dots and dashes are
 *    fine, and Windows short names (tilde + digits) are not checked.
 *
 * The judge is the x/mod the tests can run, Debian's 0.7.0 with Go 1.19 (x/mod's own tables and
 * generated inputs: test/unit/xmod-tables.test.ts, test/unit/xmod-fuzz.test.ts). Known limits,
 * both deliberate:
 *  - Unicode letters come from Node's Unicode tables, newer than Go 1.19's: a letter added
 *    since is accepted here and refused by that Go.
 *  - JavaScript strings cannot hold invalid UTF-8: a byte Go sees as invalid arrives here as
 *    U+FFFD, which every rule refuses as well.
 */

type Kind = 'module' | 'import' | 'file';

const WINDOWS_RESERVED = new Set(['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);

// Go compares with strings.EqualFold; no non-ASCII letter folds to a letter of these names.
const asciiUpper = (s: string) => s.replace(/[a-z]/g, (c) => c.toUpperCase());

const isAsciiAlnum = (c: string) => (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

function charOK(c: string, kind: Kind): boolean {
  if (c.length === 1 && c.charCodeAt(0) < 0x80) {
    if (isAsciiAlnum(c)) return true;
    switch (kind) {
      case 'module':
        return '-._~'.includes(c);
      case 'import':
        return '-._~+'.includes(c);
      case 'file':
        // All ASCII punctuation except shell specials " ' * < > ? ` | and separators / : \.
        return '!#$%&()+,-.=@[]^_{}~ '.includes(c);
    }
  }
  // Unicode letters in file names only (Go's unicode.IsLetter; a lone surrogate is none).
  return kind === 'file' && /^\p{L}$/u.test(c);
}

function checkElem(elem: string, kind: Kind): string | null {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element ${JSON.stringify(elem)}`;
  if (elem[0] === '.' && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const c of elem) if (!charOK(c, kind)) return `invalid char ${JSON.stringify(c)}`;

  // Windows reserves some names, whatever the extension: the part before the first dot counts.
  const dot = elem.indexOf('.');
  const short = dot >= 0 ? elem.slice(0, dot) : elem;
  if (WINDOWS_RESERVED.has(asciiUpper(short))) return `${JSON.stringify(short)} disallowed as path element component on Windows`;
  if (kind === 'file') return null;

  // Windows short names (PROGRA~1): a tilde followed only by digits, anywhere in the part
  // before the first dot — so `~1`, `m~1.x` are refused and `z09~09z` is not.
  const tilde = short.lastIndexOf('~');
  if (tilde >= 0 && tilde < short.length - 1 && /^[0-9]+$/.test(short.slice(tilde + 1))) return 'trailing tilde and digits in path element';
  return null;
}

function checkPath(path: string, kind: Kind): string | null {
  if (path === '') return 'empty string';
  if (path[0] === '-' && kind !== 'file') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  for (const e of path.split('/')) {
    const r = checkElem(e, kind);
    if (r) return r;
  }
  return null;
}

/** x/mod CheckImportPath. */
export function checkImportPath(path: string): string | null {
  return checkPath(path, 'import');
}

/** x/mod CheckFilePath (paths inside a module zip). */
export function checkFilePath(path: string): string | null {
  return checkPath(path, 'file');
}

/** x/mod CheckPath. */
export function checkModulePath(path: string): string | null {
  const r = checkPath(path, 'module');
  if (r) return r;
  const slash = path.indexOf('/');
  const first = slash < 0 ? path : path.slice(0, slash);
  if (first === '') return 'leading slash';
  if (!first.includes('.')) return 'missing dot in first path element';
  if (path[0] === '-') return 'leading dash in first path element';
  for (const c of first) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '.')) return `invalid char ${JSON.stringify(c)} in first path element`;
  }
  if (!splitPathVersion(path).ok) return 'invalid version';
  return null;
}

/**
 * x/mod SplitPathVersion: prefix + pathMajor === path, pathMajor '' or "/vN" (N ≥ 2), or for
 * gopkg.in ".vN" / ".vN-unstable" (any N, but no leading zero except .v0). ok=false when the
 * suffix breaks those rules (`/v1`, `/v0`, `/v2.0`, `gopkg.in/x` without .vN, `.v01`).
 */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  if (path.startsWith('gopkg.in/')) {
    let i = path.length;
    if (path.endsWith('-unstable')) i -= '-unstable'.length;
    while (i > 0 && isDigit(path[i - 1])) i--;
    if (i <= 1 || path[i - 1] !== 'v' || path[i - 2] !== '.') return { prefix: path, pathMajor: '', ok: false };
    const prefix = path.slice(0, i - 2);
    const pathMajor = path.slice(i - 2);
    if (pathMajor.length <= 2 || (pathMajor[2] === '0' && pathMajor !== '.v0')) return { prefix: path, pathMajor: '', ok: false };
    return { prefix, pathMajor, ok: true };
  }
  let i = path.length;
  let dot = false;
  while (i > 0 && (isDigit(path[i - 1]) || path[i - 1] === '.')) {
    if (path[i - 1] === '.') dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== 'v' || path[i - 2] !== '/') return { prefix: path, pathMajor: '', ok: true };
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === '0' || pathMajor === '/v1') return { prefix: path, pathMajor: '', ok: false };
  return { prefix, pathMajor, ok: true };
}

/**
 * x/mod CheckPathMajor: does version v fit the path's major suffix ('' | "/vN" | ".vN[-unstable]")?
 *  - no suffix: v0, v1, or any `+incompatible` version;
 *  - a suffix: the same major — `+incompatible` included (module.Check accepts v2.0.0+incompatible
 *    on /v2);
 *  - gopkg.in ".v1" also takes any "v0.0.0-…" (old vgo wrote v0 pseudo-versions for it).
 */
export function pathMajorError(v: string, pathMajor: string): string | null {
  if (pathMajor.startsWith('.v') && pathMajor.endsWith('-unstable')) pathMajor = pathMajor.slice(0, -'-unstable'.length);
  if (v.startsWith('v0.0.0-') && pathMajor === '.v1') return null;
  const m = semverMajor(v);
  let want = pathMajor;
  if (pathMajor === '') {
    if (m === 'v0' || m === 'v1' || semverBuild(v) === '+incompatible') return null;
    want = 'v0 or v1';
  } else if (pathMajor[0] === '/' || pathMajor[0] === '.') {
    if (m === pathMajor.slice(1)) return null;
    want = pathMajor.slice(1);
  }
  return `version ${JSON.stringify(v)} invalid: should be ${want}, not ${m}`;
}

/** x/mod MatchPathMajor. */
export function matchPathMajor(v: string, pathMajor: string): boolean {
  return pathMajorError(v, pathMajor) === null;
}

/** Does `version` fit module path `path`'s major-version suffix? (null = yes, else a readable reason) */
export function checkPathMajor(version: string, path: string): string | null {
  const { pathMajor, ok } = splitPathVersion(path);
  if (!ok) return `module path ${path} has an invalid major-version suffix`;
  if (pathMajorError(version, pathMajor) === null) return null;
  const major = semverMajor(version) || 'no valid major';
  if (pathMajor === '') return `version ${version} has major ${major} but module path ${path} has no /${major} suffix`;
  const want = pathMajor.slice(1).replace(/-unstable$/, '');
  return `module path ${path} requires ${want}.x.y versions, not ${version}`;
}

/** x/mod module.Check: a valid module path, a valid semantic version, and the two correspond. */
export function checkModuleVersion(path: string, version: string): string | null {
  const badPath = checkModulePath(path);
  if (badPath) return `malformed module path ${JSON.stringify(path)}: ${badPath}`;
  if (!isValidSemver(version)) return `version ${JSON.stringify(version)} invalid: not a semantic version`;
  return checkPathMajor(version, path);
}

/** One element checked as a file name (what x/mod requires of an escaped version). */
export function fileElemError(elem: string): string | null {
  return checkElem(elem, 'file');
}
