import * as pep440 from '@renovatebot/pep440';

/**
 * PEP 440 versions as an index needs them (docs/architecture.md §3). Pure; judged by
 * `packaging.version` in test/unit/pypa.test.ts.
 */

/**
 * What Python's `\s` (str.isspace) matches; `Version()` ignores it around a version. Not JS's
 * `\s`/trim(): that one also strips U+FEFF and keeps U+001C–U+001F and U+0085.
 */
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*';
const SURROUNDING_SPACE = new RegExp(`^${PY_SPACE}|${PY_SPACE}$`, 'g');

/**
 * PEP 440 normal form, as `str(packaging.version.Version(v))` prints it; null if invalid.
 * (Not pep440.clean: it joins local segments with "," — `1.0+g1_2` → `1.0+g1,2`.)
 */
export function normalizePep440(v: string): string | null {
  const trimmed = v.replace(SURROUNDING_SPACE, '');
  const e = pep440.valid(trimmed) ? pep440.explain(trimmed) : null;
  if (!e) return null;
  return e.local ? `${e.public}+${e.local}` : e.public;
}

/** PEP 440 equality (`1.4` = `1.4.0`, `1.4RC1` = `1.4rc1`); false when either is invalid. */
export function pep440Equal(a: string, b: string): boolean {
  const x = normalizePep440(a);
  const y = normalizePep440(b);
  return x !== null && y !== null && pep440.eq(x, y);
}
