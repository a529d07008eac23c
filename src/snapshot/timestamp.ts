/** Pure timestamp helpers: the snapshot timestamp is always UTC `YYYYMMDDHHMMSS`. */

export const TIMESTAMP_RE = /^\d{14}$/;

export function formatTimestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1) +
    p(d.getUTCDate()) +
    p(d.getUTCHours()) +
    p(d.getUTCMinutes()) +
    p(d.getUTCSeconds())
  );
}

/** Parse `YYYYMMDDHHMMSS` as UTC; null unless it is a real calendar instant. */
export function parseTimestamp(ts: string): Date | null {
  if (!TIMESTAMP_RE.test(ts)) return null;
  const n = (a: number, b: number) => Number(ts.slice(a, b));
  const d = new Date(Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)));
  // Round-trip rejects 20251332…, 20250230… and friends that Date would silently roll over.
  return formatTimestamp(d) === ts ? d : null;
}

/** RFC 3339 UTC without fractional seconds, the form Go's `.info` Time uses. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
