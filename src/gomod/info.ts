import { parseGoTimeResult } from './gotime.js';

/**
 * A module version's `.info` document ({"Version", "Time"}), judged the way the go command
 * reads one (cmd/go modfetch: json.Unmarshal into RevInfo, then Version must equal the
 * requested version) and stored in the form go itself writes. Pure.
 *
 * What that means, from Go's encoding/json and time packages:
 *  - keys match field names case-insensitively (and "Verſion" — long s — matches Version);
 *    a repeated key overwrites the earlier one, in text order;
 *  - Version must be a JSON string equal to the uploaded version;
 *  - Time is parsed from the raw JSON text as `"` + RFC 3339 + `"` (time.Time.UnmarshalJSON),
 *    so escapes inside it are not decoded; a null Time leaves it unset, which a registry
 *    refuses: every served version needs its commit time;
 *  - other members (Origin, …) are not part of what is stored.
 * The stored document is exactly {"Version","Time"} with Time written back as Go writes it
 * (UTC, trailing zeros of the fraction trimmed): same instant, readable by every Go release
 * (Go 1.19 parses 1-digit hours and "+99:99" offsets that newer releases refuse).
 */
export type InfoResult = { ok: true; normalized: string; time: string } | { ok: false; reason: string };

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** encoding/json's field-name match for the ASCII field names of RevInfo. */
function keyMatches(field: string, key: string): boolean {
  if (key === field) return true;
  const k = [...key];
  if (k.length !== field.length) return false;
  for (let i = 0; i < field.length; i++) {
    const f = field[i]!;
    const c = k[i]!;
    if (c.length === 1 && c.charCodeAt(0) < 0x80) {
      if (c !== f && !(/[A-Za-z]/.test(f) && c.toLowerCase() === f.toLowerCase())) return false;
    } else if (!((/[sS]/.test(f) && c === '\u017f') || (/[kK]/.test(f) && c === '\u212a'))) return false;
  }
  return true;
}

/** The members of a top-level JSON object, in text order: decoded key and raw value text. */
function members(text: string): [string, string][] | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const str = () => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return text.slice(start, i);
  };
  const value = () => {
    const start = i;
    if (text[i] === '"') return str();
    let depth = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        str();
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (c === ',' || ' \t\n\r'.includes(c))) break;
      i++;
    }
    return text.slice(start, i);
  };
  ws();
  if (text[i] !== '{') return null;
  i++;
  const out: [string, string][] = [];
  for (;;) {
    ws();
    if (text[i] === '}') return out;
    const key = JSON.parse(str()) as string;
    ws();
    i++; // ':'
    ws();
    out.push([key, value()]);
    ws();
    if (text[i] === ',') i++;
  }
}

/**
 * json.Unmarshal(raw, &RevInfo{}) for Version and Time, as go 1.19 does it: the decoded
 * Version ('' when absent or null) and Time as Go writes it back in UTC (null when absent or
 * null; '!unwritable' when outside years 0000-9999 in UTC), or why Go refuses the document.
 */
export function decodeInfo(text: string): { ok: true; version: string; time: string | null } | { ok: false; reason: string } {
  try {
    JSON.parse(text);
  } catch {
    return { ok: false, reason: 'info is not valid JSON' };
  }
  const ms = members(text);
  if (ms === null) {
    // A top-level null decodes to nothing; any other non-object cannot fill a struct.
    return text.trim() === 'null' ? { ok: true, version: '', time: null } : { ok: false, reason: 'info must be a JSON object {"Version","Time"}' };
  }
  let version = '';
  let time: string | null = null;
  for (const [key, rawValue] of ms) {
    const field = ['Version', 'Time'].find((f) => keyMatches(f, key));
    if (field === 'Version') {
      const val: unknown = JSON.parse(rawValue);
      if (val === null) continue; // json: null leaves a string field as it was
      if (typeof val !== 'string') return { ok: false, reason: `info Version must be a string, not ${clip(rawValue)}` };
      version = val;
    } else if (field === 'Time') {
      if (rawValue === 'null') continue;
      // time.Time.UnmarshalJSON parses the raw text: `"` + RFC 3339 + `"`, escapes and all.
      const inner = rawValue.length >= 2 && rawValue.startsWith('"') && rawValue.endsWith('"') ? rawValue.slice(1, -1) : null;
      const parsed = inner === null || inner.includes('\\') ? null : parseGoTimeResult(inner);
      if (!parsed?.ok) {
        const why = parsed && !parsed.ok ? ` (${parsed.reason})` : '';
        return { ok: false, reason: `info Time ${clip(rawValue)} is not an RFC 3339 time go accepts${why}` };
      }
      time = parsed.time.utcJSON ?? '!unwritable';
    }
  }
  return { ok: true, version, time };
}

/** The registry's `.info` rule: what go accepts, with this version and a real commit time. */
export function parseInfo(raw: Buffer, version: string): InfoResult {
  const d = decodeInfo(raw.toString('utf8'));
  if (!d.ok) return d;
  if (d.version !== version) return { ok: false, reason: `info Version ${clip(JSON.stringify(d.version))} does not match version ${version}` };
  if (d.time === null) return { ok: false, reason: 'info has no Time: send {"Version","Time"} with the commit time in RFC 3339' };
  if (d.time === '!unwritable') return { ok: false, reason: 'info Time lies outside years 0000-9999 in UTC, which go cannot write back' };
  return { ok: true, time: d.time, normalized: JSON.stringify({ Version: version, Time: d.time }) + '\n' };
}
