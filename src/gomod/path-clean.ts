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

/** path.Clean: the shortest equivalent path — one slash between elements, no ".", no "x/..". */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const n = p.length;
  const out: string[] = [];
  let r = 0;
  let dotdot = 0;
  if (rooted) {
    out.push('/');
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (p[r] === '/') r++;
    else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) r++;
    else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        out.pop();
        while (out.length > dotdot && out[out.length - 1] !== '/') out.pop();
      } else if (!rooted) {
        if (out.length > 0) out.push('/');
        out.push('.', '.');
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out.push('/');
      for (; r < n && p[r] !== '/'; r++) out.push(p[r]!);
    }
  }
  return out.length === 0 ? '.' : out.join('');
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
