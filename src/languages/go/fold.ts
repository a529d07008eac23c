/**
 * A key such that foldKey(a) === foldKey(b) iff Go's strings.EqualFold(a, b) — close enough:
 * simple case folding via toLowerCase/toUpperCase round trip covers the cases module zips
 * meet (ASCII and common Unicode letters), which is what x/mod's collision check guards.
 */
export function foldKey(s: string): string {
  return s.toUpperCase().toLowerCase();
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
