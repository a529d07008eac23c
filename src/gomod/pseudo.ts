import { checkGoDate } from './gotime.js';
import { isValidSemver, semverBuild, semverCanonical, semverPrerelease } from './semver.js';

/**
 * Pseudo-versions, ported from golang.org/x/mod/module/pseudo.go. The forms (cmd/go
 * "Pseudo-versions"):
 *   (1) vX.0.0-yyyymmddhhmmss-abcdef123456                 no base tag
 *   (2) vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456[+build]   base vX.Y.Z[+build]
 *   (3) vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456[+build]   base vX.Y.Z-pre[+build]
 * Build metadata of the base (`+incompatible` above all) stays at the END of the result.
 * Pure.
 */

const PSEUDO_RE = /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isPseudoVersion(v: string): boolean {
  return (v.match(/-/g)?.length ?? 0) >= 2 && isValidSemver(v) && PSEUDO_RE.test(v);
}

function incDecimal(decimal: string): string {
  const d = decimal.split('');
  let i = d.length - 1;
  for (; i >= 0 && d[i] === '9'; i--) d[i] = '0';
  if (i >= 0) d[i] = String(Number(d[i]) + 1);
  else {
    d[0] = '1';
    d.push('0');
  }
  return d.join('');
}

/** decimal − 1, or '' when decimal is all zeros. */
function decDecimal(decimal: string): string {
  const d = decimal.split('');
  let i = d.length - 1;
  for (; i >= 0 && d[i] === '0'; i--) d[i] = '9';
  if (i < 0) return '';
  if (i === 0 && d[i] === '1' && d.length > 1) d.shift();
  else d[i] = String(Number(d[i]) - 1);
  return d.join('');
}

/**
 * x/mod PseudoVersion. `timestamp` is the UTC yyyymmddhhmmss of the revision; `older` the
 * newest tag below the revision ('' for none). An invalid `older` counts as none, as in x/mod.
 */
export function pseudoVersion(major: string, older: string, timestamp: string, rev: string): string {
  if (major === '') major = 'v0';
  const segment = `${timestamp}-${rev}`;
  const build = semverBuild(older);
  const base = semverCanonical(older);
  if (base === '') return `${major}.0.0-${segment}`;
  if (semverPrerelease(base) !== '') return `${base}.0.${segment}${build}`;
  const i = base.lastIndexOf('.') + 1;
  return `${base.slice(0, i)}${incDecimal(base.slice(i))}-0.${segment}${build}`;
}

interface PseudoParts {
  base: string;
  timestamp: string;
  rev: string;
  build: string;
}

function parsePseudo(v: string): PseudoParts | null {
  if (!isPseudoVersion(v)) return null;
  const build = semverBuild(v);
  let s = v.slice(0, v.length - build.length);
  const j = s.lastIndexOf('-');
  const rev = s.slice(j + 1);
  s = s.slice(0, j);
  const i = s.lastIndexOf('-');
  const dot = s.lastIndexOf('.');
  if (dot > i) return { base: s.slice(0, dot), timestamp: s.slice(dot + 1), rev, build };
  return { base: s.slice(0, i), timestamp: s.slice(i + 1), rev, build };
}

/**
 * The yyyymmddhhmmss of a pseudo-version, or '' when v is not one or its time stamp is not a
 * real time (x/mod PseudoVersionTime parses it with time.Parse: month 13, Feb 30, hour 24 fail).
 */
export function pseudoVersionTime(v: string): string {
  const p = parsePseudo(v);
  if (!p) return '';
  const t = p.timestamp;
  const n = (a: number, b: number) => Number(t.slice(a, b));
  const ok = checkGoDate(n(0, 4), n(4, 6), n(6, 8)) && n(8, 10) < 24 && n(10, 12) < 60 && n(12, 14) < 60;
  return ok ? t : '';
}

/** x/mod PseudoVersionRev: the revision identifier, or null when v is not a pseudo-version. */
export function pseudoVersionRev(v: string): string | null {
  return parsePseudo(v)?.rev ?? null;
}

/**
 * x/mod PseudoVersionBase: the tag a pseudo-version builds on ('' for form (1)), or null when
 * v is not a pseudo-version or names an impossible base (vX.0.0-0.…, form (1) with build).
 */
export function pseudoVersionBase(v: string): string | null {
  const p = parsePseudo(v);
  if (!p) return null;
  const pre = semverPrerelease(p.base);
  if (pre === '') return p.build !== '' ? null : '';
  if (pre === '-0') {
    const base = p.base.slice(0, p.base.length - pre.length);
    const i = base.lastIndexOf('.');
    const patch = decDecimal(base.slice(i + 1));
    if (patch === '') return null;
    return base.slice(0, i + 1) + patch + p.build;
  }
  return p.base.slice(0, -'.0'.length) + p.build;
}
