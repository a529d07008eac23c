import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateMapping, type Config } from '../config/schema.js';
import { formatIssues } from '../config/issues.js';
import type { LanguageId } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import { writeFileAtomic } from '../util/atomic.js';
import { stateRecordSchema, type StateRecord } from './schema.js';
import { recordProblem } from './validate.js';

export function stateFilePath(root: string, config: Config, lang: LanguageId): string {
  return join(root, config.stateDir, stateMapping(config, lang).file);
}

/** The exact bytes written to files and ConfigMaps: stable key order, 2-space indent, newline. */
export function serializeState(record: StateRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

export type ParsedState = { ok: true; record: StateRecord } | { ok: false; reason: string };

/**
 * Validate a state document from any source (file, ConfigMap value): the schema, the expected
 * language, then every name and version by its ecosystem's rules (state/validate.ts).
 */
export function parseState(text: string, rules: RecordRules, expectLanguage?: LanguageId): ParsedState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
  const parsed = stateRecordSchema(rules).safeParse(raw);
  if (!parsed.success) {
    const looksForeign = !raw || typeof raw !== 'object' || !('schemaVersion' in raw);
    const why = formatIssues(parsed.error.issues).slice(0, 4).join('; ');
    return { ok: false, reason: looksForeign ? `not an ameide-pkg state record (${why})` : `an invalid state record: ${why}` };
  }
  if (expectLanguage && parsed.data.language !== expectLanguage) {
    return { ok: false, reason: `records language "${parsed.data.language}", expected "${expectLanguage}"` };
  }
  const bad = recordProblem(parsed.data, rules);
  if (bad) return { ok: false, reason: `an invalid state record: ${bad}` };
  return { ok: true, record: parsed.data };
}

export async function writeState(path: string, record: StateRecord, rules: RecordRules): Promise<void> {
  const check = stateRecordSchema(rules).safeParse(record);
  if (!check.success) throw new Error(`internal: refusing to write invalid state: ${formatIssues(check.error.issues).join('; ')}`);
  const bad = recordProblem(check.data, rules);
  if (bad) throw new Error(`internal: refusing to write invalid state: ${bad}`);
  await writeFileAtomic(path, serializeState(check.data));
}

/** null when the file does not exist; throws a clear error when it exists but is not valid. */
export async function readState(path: string, rules: RecordRules, lang?: LanguageId): Promise<StateRecord | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const r = parseState(text, rules, lang);
  if (!r.ok) throw new Error(`${path}: ${r.reason}`);
  return r.record;
}
