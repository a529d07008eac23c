import { FOLD_RUNS } from './fold-table.js';

/**
 * x/mod/zip's strToFold: a key such that foldKey(a) === foldKey(b) iff Go's
 * strings.EqualFold(a, b). Each rune becomes the smallest rune of its unicode.SimpleFold
 * orbit (A-Z then lowered). This is SIMPLE case folding from Go's own Unicode tables
 * (fold-table.ts is generated from them): `ß` and `ẞ` fold together, `ß` and `ss` do not,
 * `ı` stays apart from `i` — where toUpperCase/toLowerCase round trips get all three wrong,
 * and where the JS engine's newer Unicode version would add pairs Go does not have.
 */
let table: Map<number, number> | null = null;

function foldTable(): Map<number, number> {
  if (table) return table;
  table = new Map();
  for (const [start, count, step, delta] of FOLD_RUNS) {
    for (let i = 0; i < count; i++) table.set(start + i * step, start + i * step + delta);
  }
  return table;
}

/** Strings that strToFold's fast path returns unchanged: ASCII without upper case. */
const ASCII_NO_UPPER = /^[\x00-\x40\x5b-\x7f]*$/;

export function foldKey(s: string): string {
  if (ASCII_NO_UPPER.test(s)) return s;
  const t = foldTable();
  let out = '';
  for (const ch of s) {
    const k = t.get(ch.codePointAt(0)!);
    out += k === undefined ? ch : String.fromCodePoint(k);
  }
  return out;
}

/**
 * x/mod/zip's collisionChecker: records each path (and, implicitly, its parent directories)
 * and returns why a new one clashes — a case-insensitive twin, a file that is also a
 * directory, or a file listed twice — or null.
 */
export function collisionChecker(): (path: string, isDir: boolean) => string | null {
  const seen = new Map<string, { path: string; isDir: boolean }>();
  const check = (p: string, isDir: boolean): string | null => {
    const key = foldKey(p);
    const other = seen.get(key);
    if (other) {
      if (other.path !== p) return `case-insensitive file name collision: "${other.path}" and "${p}"`;
      if (other.isDir !== isDir) return `entry "${p}" is both a file and a directory`;
      if (!isDir) return `multiple entries for file "${p}"`;
    } else seen.set(key, { path: p, isDir });
    const i = p.lastIndexOf('/');
    return i > 0 ? check(p.slice(0, i), true) : null;
  };
  return check;
}
