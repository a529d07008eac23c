/**
 * Go's `time.Parse(time.RFC3339, s)` (Go 1.19, the toolchain the tests judge with), as a pure
 * parser — because `.info` Time values are read by `go` with Go's rules, and JavaScript's
 * Date.parse accepts what Go refuses (2023-02-30, hour 24) and refuses what Go accepts.
 *
 * Layout "2006-01-02T15:04:05Z07:00", field by field as Go's parser walks it:
 *   2006  exactly 4 digits (0000–9999)
 *   01    exactly 2 digits, 01–12                 02  exactly 2 digits; checked against the
 *   15    1 or 2 digits (Go's "15" is not zero-     month's length (leap years) at the end
 *         padded), 0–23                            04, 05  exactly 2 digits, 0–59 (no leap second)
 *   an optional fraction after the seconds: '.' or ',' and at least one digit; any number of
 *     digits, only the first 9 count
 *   Z07:00  'Z', or ±hh:mm with two digits each — Go 1.19 checks no range here (+99:99 parses)
 * Literal separators must match exactly ('T', not 't'); nothing may follow.
 */
export interface GoTime {
  /** Seconds since the Unix epoch of the instant. */
  unix: number;
  nanos: number;
  /** The zone offset written in the string, in seconds east of UTC. */
  offset: number;
  /**
   * How Go writes the same instant (t.UTC().MarshalJSON(), RFC 3339 with trailing zeros of the
   * fraction trimmed), e.g. "2023-01-01T00:00:00.5Z"; null when Go refuses to write it (UTC
   * year outside 0000–9999, possible only through an extreme offset).
   */
  utcJSON: string | null;
}

const isDigit = (s: string, i: number) => i < s.length && s[i]! >= '0' && s[i]! <= '9';

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Is year-month-day a date Go's time.Parse accepts (month 1–12, day within that month)? */
export function checkGoDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (exact integer arithmetic). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Go's t.UTC().MarshalJSON() text (without the quotes), or null outside years 0–9999. */
function utcJSON(unix: number, nanos: number): string | null {
  const days = Math.floor(unix / 86400);
  const secs = unix - days * 86400;
  const [y, m, d] = civilFromDays(days);
  if (y < 0 || y > 9999) return null;
  const frac = nanos ? '.' + pad(nanos, 9).replace(/0+$/, '') : '';
  const hms = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${hms}${frac}Z`;
}

export type GoTimeResult = { ok: true; time: GoTime } | { ok: false; reason: string };

/** time.Parse(time.RFC3339, s), with the reason Go would give when it refuses. */
export function parseGoTimeResult(s: string): GoTimeResult {
  let v = s;
  const bad = (reason: string): GoTimeResult => ({ ok: false, reason });
  const lit = (c: string) => {
    if (v[0] !== c) return false;
    v = v.slice(1);
    return true;
  };
  // getnum: one or two digits; `fixed` demands two.
  const num = (fixed: boolean): number | null => {
    if (!isDigit(v, 0)) return null;
    if (!isDigit(v, 1)) {
      if (fixed) return null;
      const n = Number(v[0]);
      v = v.slice(1);
      return n;
    }
    const n = Number(v.slice(0, 2));
    v = v.slice(2);
    return n;
  };

  if (v.length < 4 || !/^[0-9]{4}/.test(v)) return bad('year must be 4 digits');
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  if (!lit('-')) return bad("expected '-' after the year");
  const month = num(true);
  if (month === null) return bad('month must be 2 digits');
  if (month < 1 || month > 12) return bad('month out of range');
  if (!lit('-')) return bad("expected '-' after the month");
  const day = num(true);
  if (day === null) return bad('day must be 2 digits');
  if (!lit('T')) return bad("expected 'T' after the date");
  const hour = num(false);
  if (hour === null) return bad('hour must be digits');
  if (hour >= 24) return bad('hour out of range');
  if (!lit(':')) return bad("expected ':' after the hour");
  const min = num(true);
  if (min === null) return bad('minute must be 2 digits');
  if (min >= 60) return bad('minute out of range');
  if (!lit(':')) return bad("expected ':' after the minute");
  const sec = num(true);
  if (sec === null) return bad('second must be 2 digits');
  if (sec >= 60) return bad('second out of range');
  let nanos = 0;
  if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) {
    let n = 2;
    while (isDigit(v, n)) n++;
    const digits = v.slice(1, Math.min(n, 10));
    nanos = Number(digits) * 10 ** (9 - digits.length);
    v = v.slice(n);
  }
  let offset = 0;
  if (v[0] === 'Z') {
    v = v.slice(1);
  } else {
    if (v.length < 6 || v[3] !== ':') return bad('zone must be Z or ±hh:mm');
    const sign = v[0];
    const hh = v.slice(1, 3);
    const mm = v.slice(4, 6);
    if (!/^[0-9]{2}$/.test(hh) || !/^[0-9]{2}$/.test(mm) || (sign !== '+' && sign !== '-')) return bad('zone must be Z or ±hh:mm');
    offset = (Number(hh) * 60 + Number(mm)) * 60 * (sign === '-' ? -1 : 1) || 0; // -00:00 is offset 0, not -0
    v = v.slice(6);
  }
  if (v !== '') return bad(`extra text ${JSON.stringify(v)}`);
  if (!checkGoDate(year, month, day)) return bad('day out of range');
  const unix = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  return { ok: true, time: { unix, nanos, offset, utcJSON: utcJSON(unix, nanos) } };
}

/** time.Parse(time.RFC3339, s), or null when Go refuses s. */
export function parseGoTime(s: string): GoTime | null {
  const r = parseGoTimeResult(s);
  return r.ok ? r.time : null;
}
