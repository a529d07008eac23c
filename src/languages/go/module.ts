/**
 * Go's rules for module paths and versions, ported from golang.org/x/mod/module and
 * golang.org/x/mod/semver. Shared by the publisher (to refuse what `go` would refuse) and
 * the registry (to refuse what a client must never be served). Pure; no I/O.
 */

// ---- semver (x/mod/semver) ----

interface Parsed {
  major: string;
  minor: string;
  patch: string;
  short: string;
  prerelease: string;
  build: string;
}

function isNum(s: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(s);
}

function isIdent(s: string): boolean {
  return /^[0-9A-Za-z-]+$/.test(s);
}

function parseSemver(v: string): Parsed | null {
  const m = /^v([0-9]+)(?:\.([0-9]+)(?:\.([0-9]+))?)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return null;
  const [, major = '', minor, patch, pre = '', build = ''] = m;
  if (!isNum(major) || (minor !== undefined && !isNum(minor)) || (patch !== undefined && !isNum(patch))) return null;
  if (pre) {
    for (const id of pre.slice(1).split('.')) {
      if (!isIdent(id)) return null;
      if (/^[0-9]+$/.test(id) && !isNum(id)) return null; // numeric identifiers: no leading zeros
    }
  }
  if (build) for (const id of build.slice(1).split('.')) if (!isIdent(id)) return null;
  // x/mod: shorthand v1 / v1.2 is valid but only without prerelease/build.
  if ((minor === undefined || patch === undefined) && (pre || build)) return null;
  return {
    major,
    minor: minor ?? '0',
    patch: patch ?? '0',
    short: minor === undefined ? '.0.0' : patch === undefined ? '.0' : '',
    prerelease: pre,
    build,
  };
}

export function isValidSemver(v: string): boolean {
  return parseSemver(v) !== null;
}

/** x/mod semver.Canonical: vMAJOR.MINOR.PATCH[-pre], build dropped except +incompatible. */
export function canonicalSemver(v: string): string {
  const p = parseSemver(v);
  if (!p) return '';
  const build = p.build === '+incompatible' ? p.build : '';
  return `v${p.major}.${p.minor}.${p.patch}${p.prerelease}${build}`;
}

export function semverMajor(v: string): string {
  const p = parseSemver(v);
  return p ? `v${p.major}` : '';
}

export function semverPrerelease(v: string): string {
  return parseSemver(v)?.prerelease ?? '';
}

function cmpNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpPrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const a = xs[i]!;
    const b = ys[i]!;
    if (a === b) continue;
    const an = /^[0-9]+$/.test(a);
    const bn = /^[0-9]+$/.test(b);
    if (an && bn) return cmpNum(a, b);
    if (an) return -1;
    if (bn) return 1;
    return a < b ? -1 : 1;
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
}

/** x/mod semver.Compare; invalid versions sort below all valid ones and equal each other. */
export function compareSemver(a: string, b: string): number {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (!pa && !pb) return 0;
  if (!pa) return -1;
  if (!pb) return 1;
  return (
    cmpNum(pa.major, pb.major) ||
    cmpNum(pa.minor, pb.minor) ||
    cmpNum(pa.patch, pb.patch) ||
    cmpPrerelease(pa.prerelease, pb.prerelease)
  );
}

// ---- pseudo-versions (x/mod/module/pseudo.go) ----

const PSEUDO_RE = /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isPseudoVersion(v: string): boolean {
  return (v.match(/-/g)?.length ?? 0) >= 2 && isValidSemver(v) && PSEUDO_RE.test(v);
}

/** The `YYYYMMDDHHMMSS` of a pseudo-version, or '' when v is not one. */
export function pseudoVersionTime(v: string): string {
  if (!isPseudoVersion(v)) return '';
  const noBuild = v.split('+')[0]!;
  const m = /(\d{14})-[A-Za-z0-9]+$/.exec(noBuild);
  return m ? m[1]! : '';
}

/**
 * Go's pseudo-version forms (cmd/go "Pseudo-versions"):
 *  no base tag         vMAJOR.0.0-<ts>-<rev>
 *  base vX.Y.Z         vX.Y.(Z+1)-0.<ts>-<rev>
 *  base vX.Y.Z-pre     vX.Y.Z-pre.0.<ts>-<rev>
 */
export function pseudoVersion(major: string, base: string, timestamp: string, rev: string): string {
  if (!base) return `${major || 'v0'}.0.0-${timestamp}-${rev}`;
  const pre = semverPrerelease(base);
  if (pre) return `${base}.0.${timestamp}-${rev}`;
  const p = parseSemver(base)!;
  const patch = (BigInt(p.patch) + 1n).toString();
  return `v${p.major}.${p.minor}.${patch}-0.${timestamp}-${rev}`;
}

// ---- module paths (x/mod/module) ----

const WINDOWS_RESERVED = new Set(
  ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`)],
);

type ElemKind = 'module' | 'import' | 'file';

function charOK(c: string, kind: ElemKind): boolean {
  if (/^[A-Za-z0-9]$/.test(c)) return true;
  if (kind === 'file') {
    // fileNameOK: ASCII punctuation minus shell specials " ' * < > ? ` | and separators; spaces allowed.
    if (c.charCodeAt(0) >= 0x80) return /\p{L}/u.test(c);
    return '!#$%&()+,-.=@[]^_{}~ '.includes(c);
  }
  if (kind === 'import') return '-._~+'.includes(c);
  return '-._~'.includes(c);
}

function checkElem(elem: string, kind: ElemKind): string | null {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element "${elem}"`;
  if (elem[0] === '.' && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const c of elem) if (!charOK(c, kind)) return `invalid char ${JSON.stringify(c)}`;
  let short = elem;
  const dot = short.indexOf('.');
  if (dot >= 0) short = short.slice(0, dot);
  if (WINDOWS_RESERVED.has(short.toUpperCase())) return `"${short}" disallowed as path element component on Windows`;
  if (kind !== 'file') {
    const tilde = elem.lastIndexOf('~');
    if (tilde > 0 && /^[0-9]+$/.test(elem.slice(tilde + 1))) return 'trailing tilde and digits in path element';
  }
  return null;
}

/** x/mod SplitPathVersion: `example.com/m/v2` → [`example.com/m`, `/v2`]. ok=false on `/v1`, `/v0x`, `/v2.1`. */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string; ok: boolean } {
  if (path.startsWith('gopkg.in/')) {
    const m = /^(.*)\.(v[0-9]+(?:-unstable)?)$/.exec(path);
    if (!m) return { prefix: path, pathMajor: '', ok: false };
    const major = m[2]!;
    if (/^v0[0-9]/.test(major) || major === 'v1-unstable') return { prefix: path, pathMajor: '', ok: false };
    return { prefix: m[1]!, pathMajor: '.' + major, ok: true };
  }
  let i = path.length;
  let dot = false;
  while (i > 0 && (/[0-9]/.test(path[i - 1]!) || path[i - 1] === '.')) {
    if (path[i - 1] === '.') dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== 'v' || path[i - 2] !== '/') return { prefix: path, pathMajor: '', ok: true };
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === '0' || pathMajor === '/v1') return { prefix: path, pathMajor: '', ok: false };
  return { prefix, pathMajor, ok: true };
}

/** x/mod module.CheckPath: null when valid, else the reason. */
export function checkModulePath(path: string): string | null {
  if (path === '') return 'empty module path';
  if (!/^[\x21-\x7e]+$/.test(path)) return 'module path must be printable ASCII without spaces';
  if (path.startsWith('/') || path.endsWith('/')) return 'leading or trailing slash';
  if (path.includes('//')) return 'double slash';
  const elems = path.split('/');
  for (const e of elems) {
    const r = checkElem(e, 'module');
    if (r) return r;
  }
  const first = elems[0]!;
  if (!first.includes('.')) return `missing dot in first path element "${first}"`;
  if (first.startsWith('-')) return 'leading dash in first path element';
  for (const c of first) if (!/[a-z0-9.-]/.test(c)) return `invalid char ${JSON.stringify(c)} in first path element`;
  const { ok } = splitPathVersion(path);
  if (!ok) return 'invalid version suffix';
  return null;
}

/** x/mod CheckFilePath on a path inside a module zip. */
export function checkFilePath(path: string): string | null {
  if (path === '') return 'empty file path';
  if (path.startsWith('/')) return 'leading slash';
  if (path.includes('\\')) return 'backslash in path';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  for (const e of path.split('/')) {
    const r = checkElem(e, 'file');
    if (r) return r;
  }
  return null;
}

/** x/mod CheckPathMajor: does `version` fit the path's major-version suffix? */
export function checkPathMajor(version: string, path: string): string | null {
  const { pathMajor, ok } = splitPathVersion(path);
  if (!ok) return `module path ${path} has an invalid /vN suffix`;
  const major = semverMajor(version);
  if (version.endsWith('+incompatible')) {
    if (pathMajor) return `+incompatible version ${version} is not allowed with a /vN module path`;
    return null;
  }
  if (pathMajor === '') {
    if (major === 'v0' || major === 'v1') return null;
    return `version ${version} has major ${major} but module path ${path} has no /${major} suffix`;
  }
  const want = pathMajor.replace(/^[/.]/, '').replace(/-unstable$/, '');
  if (major !== want) return `module path ${path} requires ${want}.x.y versions, not ${version}`;
  return null;
}

// ---- case escaping (x/mod module.EscapePath) ----

/** Upper-case letters become `!` + lower-case so paths survive case-insensitive filesystems. */
export function escapePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
}

export const escapeVersion = escapePath;

/** Inverse of escapePath; null when `escaped` is not a valid escaped string. */
export function unescapePath(escaped: string): string | null {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i]!;
    if (c >= 'A' && c <= 'Z') return null; // upper-case never appears in escaped form
    if (c === '!') {
      const n = escaped[i + 1];
      if (n === undefined || n < 'a' || n > 'z') return null;
      out += n.toUpperCase();
      i++;
      continue;
    }
    out += c;
  }
  return out;
}
