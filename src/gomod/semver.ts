/**
 * golang.org/x/mod/semver, ported rule for rule: Go's semantic versions carry a leading "v",
 * accept the shorthands vMAJOR and vMAJOR.MINOR (without prerelease or build), and compare
 * prerelease identifiers as SemVer 2.0.0 says. Judged against x/mod's own test table and
 * generated inputs (test/unit/xmod-*.test.ts). Pure.
 */

interface Parsed {
  major: string;
  minor: string;
  patch: string;
  /** What Canonical appends to a shorthand: ".0.0" for vMAJOR, ".0" for vMAJOR.MINOR. */
  short: string;
  prerelease: string;
  build: string;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c) || c === '-';

/** A decimal without extra leading zeros at the start of v, and the rest. */
function parseInt_(v: string): [string, string] | null {
  if (!isDigit(v[0])) return null;
  let i = 1;
  while (isDigit(v[i])) i++;
  if (v[0] === '0' && i !== 1) return null;
  return [v.slice(0, i), v.slice(i)];
}

/** All digits, more than one, leading zero: not allowed as a prerelease identifier. */
function isBadNum(v: string): boolean {
  return /^[0-9]+$/.test(v) && v.length > 1 && v[0] === '0';
}

function parseDotted(v: string, lead: '-' | '+', stopAtPlus: boolean): [string, string] | null {
  if (v[0] !== lead) return null;
  let i = 1;
  let start = 1;
  while (i < v.length && !(stopAtPlus && v[i] === '+')) {
    const c = v[i]!;
    if (!isIdentChar(c) && c !== '.') return null;
    if (c === '.') {
      if (start === i || (lead === '-' && isBadNum(v.slice(start, i)))) return null;
      start = i + 1;
    }
    i++;
  }
  if (start === i || (lead === '-' && isBadNum(v.slice(start, i)))) return null;
  return [v.slice(0, i), v.slice(i)];
}

function parse(v: string): Parsed | null {
  if (v[0] !== 'v') return null;
  const p: Parsed = { major: '', minor: '', patch: '', short: '', prerelease: '', build: '' };
  let r = parseInt_(v.slice(1));
  if (!r) return null;
  [p.major, v] = r;
  if (v === '') return { ...p, minor: '0', patch: '0', short: '.0.0' };
  if (v[0] !== '.') return null;
  r = parseInt_(v.slice(1));
  if (!r) return null;
  [p.minor, v] = r;
  if (v === '') return { ...p, patch: '0', short: '.0' };
  if (v[0] !== '.') return null;
  r = parseInt_(v.slice(1));
  if (!r) return null;
  [p.patch, v] = r;
  if (v[0] === '-') {
    const pre = parseDotted(v, '-', true);
    if (!pre) return null;
    [p.prerelease, v] = pre;
  }
  if (v[0] === '+') {
    const b = parseDotted(v, '+', false);
    if (!b) return null;
    [p.build, v] = b;
  }
  return v === '' ? p : null;
}

export function isValidSemver(v: string): boolean {
  return parse(v) !== null;
}

/** x/mod semver.Canonical: shorthands filled in, ALL build metadata dropped; '' when invalid. */
export function semverCanonical(v: string): string {
  const p = parse(v);
  if (!p) return '';
  if (p.build) return v.slice(0, v.length - p.build.length);
  return v + p.short;
}

/**
 * x/mod module.CanonicalVersion: semver.Canonical, but `+incompatible` is kept (it is part of
 * a module version's identity). This is the form the proxy protocol and go.mod files use.
 */
export function canonicalSemver(v: string): string {
  const cv = semverCanonical(v);
  return semverBuild(v) === '+incompatible' ? cv + '+incompatible' : cv;
}

export function semverMajor(v: string): string {
  const p = parse(v);
  return p ? v.slice(0, 1 + p.major.length) : '';
}

export function semverMajorMinor(v: string): string {
  const p = parse(v);
  if (!p) return '';
  const i = 1 + p.major.length;
  const j = i + 1 + p.minor.length;
  if (j <= v.length && v[i] === '.' && v.slice(i + 1, j) === p.minor) return v.slice(0, j);
  return `${v.slice(0, i)}.${p.minor}`;
}

export function semverPrerelease(v: string): string {
  return parse(v)?.prerelease ?? '';
}

export function semverBuild(v: string): string {
  return parse(v)?.build ?? '';
}

function compareInt(x: string, y: string): number {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const dx = xs[i]!;
    const dy = ys[i]!;
    if (dx === dy) continue;
    const ix = /^[0-9]*$/.test(dx);
    const iy = /^[0-9]*$/.test(dy);
    if (ix !== iy) return ix ? -1 : 1;
    if (ix && dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
    return dx < dy ? -1 : 1;
  }
  return xs.length === ys.length ? 0 : xs.length < ys.length ? -1 : 1;
}

/** x/mod semver.Compare; invalid versions sort below all valid ones and equal each other. */
export function compareSemver(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return 0;
  if (!pa) return -1;
  if (!pb) return 1;
  return compareInt(pa.major, pb.major) || compareInt(pa.minor, pb.minor) || compareInt(pa.patch, pb.patch) || comparePrerelease(pa.prerelease, pb.prerelease);
}
