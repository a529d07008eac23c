/**
 * Go's path.Clean (lexical, slash-separated; go1.19 src/path/path.go), and the cleanliness
 * test x/mod/zip applies with it to every file of a module: CheckFiles and CreateFromDir
 * (`p != path.Clean(p)`: not clean; `path.IsAbs(p)`: not relative) and CheckZip (the name
 * after the module@version/ prefix, trailing slash of a directory entry removed). The module
 * builder (zip-files.ts) and the zip checker (zip-check.ts) both use this one copy.
 *
 * Clean is a fixed point on its output and never touches the file system. Strings are
 * JavaScript strings; callers hand in names already known to be valid UTF-8 (Go's Clean is
 * byte-wise, and on valid UTF-8 the two agree: '/' and '.' never occur inside a multi-byte
 * sequence). Pure.
 */

/**
 * path.Clean: the shortest equivalent path — one slash between elements, no ".", no "x/..".
 * A line-by-line port, Go's lazybuf included: the output is read from `p` itself for as long as
 * it is a prefix of `p`, so a clean path (every name in a valid zip) is returned as it is
 * without building a copy; only from the first differing character is it written to `buf`.
 */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const n = p.length;
  let buf: string[] | null = null;
  let w = 0;
  const append = (c: string): void => {
    if (buf === null) {
      if (w < n && p[w] === c) {
        w++;
        return;
      }
      buf = p.slice(0, w).split('');
    }
    buf[w++] = c;
  };
  const index = (i: number): string => (buf === null ? p[i]! : buf[i]!);
  let r = 0;
  let dotdot = 0;
  if (rooted) {
    append('/');
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (p[r] === '/') r++; // empty path element
    else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) r++; // . element
    else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      // .. element: remove to last /
      r += 2;
      if (w > dotdot) {
        w--;
        while (w > dotdot && index(w) !== '/') w--;
      } else if (!rooted) {
        // cannot backtrack, but not rooted, so append .. element
        if (w > 0) append('/');
        append('.');
        append('.');
        dotdot = w;
      }
    } else {
      // real path element: add slash if needed, then copy it
      if ((rooted && w !== 1) || (!rooted && w !== 0)) append('/');
      for (; r < n && p[r] !== '/'; r++) append(p[r]!);
    }
  }
  if (w === 0) return '.';
  return buf === null ? p.slice(0, w) : (buf as string[]).slice(0, w).join('');
}

/**
 * x/mod/zip's checks on a file path before any other rule: null when clean and relative,
 * else the reason, in x/mod's words and order. ("../x" is clean and relative here; the file
 * path rules refuse it later, unless an earlier rule — vendoring — has omitted it.)
 */
export function uncleanPathError(p: string): string | null {
  if (goPathClean(p) !== p) return 'file path is not clean';
  if (p.startsWith('/')) return 'file path is not relative';
  return null;
}
