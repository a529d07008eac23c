import { stateMapping, type Config } from '../config/schema.js';
import type { LanguageId } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import type { ConfigMapClient } from '../kube/configmaps.js';
import { writeFileAtomic } from '../util/atomic.js';
import { errorMessage } from '../util/errors.js';
import { stateFilePath } from './files.js';
import { clusterView, configMapReader, readLocalView } from './views.js';

/**
 * `state sync`: ConfigMap values → `tmp/tilt-packages/<file>` (what the shell scripts ameide-pkg replaced called
 * sync-*-packages-state.sh). A value is validated before anything is written and written
 * atomically, byte for byte as stored, so a fresh checkout gets exactly what CI pushed.
 */
export interface SyncResult {
  language: LanguageId;
  configMap: string;
  key: string;
  file: string;
  done: 'written' | 'would-write' | 'unchanged' | 'missing-configmap' | 'missing-key' | 'refused' | 'error';
  version?: string;
  reason?: string;
}

export interface SyncOptions {
  root: string;
  config: Config;
  languages: LanguageId[];
  /** How each language's records are validated (languages/index.ts `recordRules()`). */
  rules: RecordRules;
  client: ConfigMapClient;
  dryRun: boolean;
}

export async function syncState(o: SyncOptions): Promise<SyncResult[]> {
  const read = configMapReader(o.client);
  return Promise.all(
    o.languages.map(async (language): Promise<SyncResult> => {
      const { configMap, key } = stateMapping(o.config, language);
      const file = stateFilePath(o.root, o.config, language);
      const base = { language, configMap, key, file };
      try {
        const cluster = clusterView(await read(configMap), key, language, o.rules);
        if (cluster.status === 'missing-configmap') return { ...base, done: 'missing-configmap', reason: `ConfigMap ${configMap} not found` };
        if (cluster.status === 'missing') return { ...base, done: 'missing-key', reason: `ConfigMap ${configMap} has no key ${key}` };
        if (cluster.status === 'invalid') return { ...base, done: 'refused', reason: `ConfigMap ${configMap} key ${key} is ${cluster.reason}; not written` };
        const local = await readLocalView(file, language, o.rules);
        const version = cluster.record.version;
        if (local.status === 'ok' && local.text === cluster.text) return { ...base, done: 'unchanged', version };
        if (o.dryRun) return { ...base, done: 'would-write', version };
        await writeFileAtomic(file, cluster.text);
        return { ...base, done: 'written', version };
      } catch (err) {
        return { ...base, done: 'error', reason: errorMessage(err) };
      }
    }),
  );
}
