import { readFile } from 'node:fs/promises';
import type { ConfigMapClient, ConfigMapData } from '../kube/configmaps.js';
import type { LanguageId } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import { parseState } from './files.js';
import type { StateRecord } from './schema.js';

/**
 * What one side (local file or ConfigMap key) holds for a language. Both are read as text
 * and validated with the same schema; the text is kept so sync can write it back byte for
 * byte and push can send exactly what is on disk.
 */
export type StateView =
  | { status: 'ok'; text: string; record: StateRecord }
  | { status: 'missing' }
  | { status: 'missing-configmap' }
  | { status: 'invalid'; reason: string; text: string };

export async function readLocalView(path: string, lang: LanguageId, rules: RecordRules): Promise<StateView> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    throw err;
  }
  const parsed = parseState(text, rules, lang);
  return parsed.ok ? { status: 'ok', text, record: parsed.record } : { status: 'invalid', reason: parsed.reason, text };
}

export function clusterView(cm: ConfigMapData | null, key: string, lang: LanguageId, rules: RecordRules): StateView {
  if (!cm) return { status: 'missing-configmap' };
  const text = cm.data[key];
  if (text === undefined) return { status: 'missing' };
  const parsed = parseState(text, rules, lang);
  return parsed.ok ? { status: 'ok', text, record: parsed.record } : { status: 'invalid', reason: parsed.reason, text };
}

/** Reads each ConfigMap once per run, however many languages share it. */
export function configMapReader(client: ConfigMapClient): (name: string) => Promise<ConfigMapData | null> {
  const cache = new Map<string, Promise<ConfigMapData | null>>();
  return (name) => {
    let p = cache.get(name);
    if (!p) {
      p = client.read(name);
      cache.set(name, p);
    }
    return p;
  };
}
