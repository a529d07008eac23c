/**
 * A key such that foldKey(a) === foldKey(b) iff Go's strings.EqualFold(a, b) — close enough:
 * simple case folding via toLowerCase/toUpperCase round trip covers the cases module zips
 * meet (ASCII and common Unicode letters), which is what x/mod's collision check guards.
 */
export function foldKey(s: string): string {
  return s.toUpperCase().toLowerCase();
}
