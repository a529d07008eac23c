import { stateMapping, type Config } from '../config/schema.js';
import type { LanguageId } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import type { ConfigMapClient } from '../kube/configmaps.js';
import { errorMessage } from '../util/errors.js';
import { stateFilePath } from './files.js';
import { clusterView, readLocalView, type StateView } from './views.js';

/**
 * `state push`: send each language's local state file, byte for byte, to its own ConfigMap
 * key. The decision (what would change) is a pure function of the two views; the write is
 * a merge patch of that one key (see kube/configmaps.ts).
 */
export type PushAction = 'create' | 'patch' | 'unchanged' | 'skip' | 'refuse';

export interface PushResult {
  language: LanguageId;
  configMap: string;
  key: string;
  action: PushAction;
  /** What happened (past tense) once applied; equals the plan on --dry-run. */
  done?: 'created' | 'patched' | 'unchanged' | 'skipped' | 'refused' | 'would-create' | 'would-patch';
  version?: string;
  reason?: string;
  /** A cluster error for this language (the others still run). */
  error?: string;
}

export function planPush(local: StateView, cluster: StateView): { action: PushAction; reason?: string } {
  if (local.status === 'missing') return { action: 'skip', reason: 'no local state file (publish first)' };
  if (local.status === 'invalid') return { action: 'refuse', reason: `local state file is ${local.reason}` };
  if (local.status !== 'ok') return { action: 'skip' };
  if (cluster.status === 'missing-configmap') return { action: 'create' };
  if (cluster.status === 'ok' && cluster.text === local.text) return { action: 'unchanged' };
  return { action: 'patch' };
}

export interface PushOptions {
  root: string;
  config: Config;
  languages: LanguageId[];
  /** How each language's records are validated (languages/index.ts `recordRules()`). */
  rules: RecordRules;
  client: ConfigMapClient;
  dryRun: boolean;
}

export async function pushState(o: PushOptions): Promise<PushResult[]> {
  return Promise.all(
    o.languages.map(async (language): Promise<PushResult> => {
      const { configMap, key } = stateMapping(o.config, language);
      try {
        return await pushOne(o, language, configMap, key);
      } catch (err) {
        return { language, configMap, key, action: 'refuse', done: 'refused', error: errorMessage(err) };
      }
    }),
  );
}

async function pushOne(o: PushOptions, language: LanguageId, configMap: string, key: string): Promise<PushResult> {
  const local = await readLocalView(stateFilePath(o.root, o.config, language), language, o.rules);
  const base: PushResult = { language, configMap, key, action: 'skip', version: local.status === 'ok' ? local.record.version : undefined };
  if (local.status !== 'ok') {
    const plan = planPush(local, { status: 'missing' });
    return { ...base, ...plan, done: plan.action === 'refuse' ? 'refused' : 'skipped' };
  }
  // Read fresh (no cache): concurrent pushers may share a ConfigMap.
  const cluster = clusterView(await o.client.read(configMap), key, language, o.rules);
  const plan = planPush(local, cluster);
  const result: PushResult = { ...base, ...plan };
  if (plan.action === 'unchanged') return { ...result, done: 'unchanged' };
  if (o.dryRun) return { ...result, done: plan.action === 'create' ? 'would-create' : 'would-patch' };
  result.done = await o.client.writeKey(configMap, key, local.text);
  return result;
}
