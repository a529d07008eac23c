import { stateMapping, type Config } from '../config/schema.js';
import type { LanguageId } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import type { ConfigMapClient } from '../kube/configmaps.js';
import type { SmokeCheck } from '../model/packages.js';
import { stateFilePath } from './files.js';
import type { StateRecord } from './schema.js';
import { clusterView, configMapReader, readLocalView, type StateView } from './views.js';

/**
 * `state check`: drift between local state files, ConfigMap values and (optionally) what
 * the registries still serve. `compareState` is pure; `checkState` gathers the views.
 */
export type FindingKind = 'missing-configmap' | 'missing-key' | 'invalid-cluster' | 'missing-local' | 'invalid-local' | 'mismatch' | 'not-served';

export interface Finding {
  language: LanguageId;
  kind: FindingKind;
  message: string;
  /** What to run to fix it. */
  fix: string;
}

export interface LanguageCheck {
  language: LanguageId;
  configMap: string;
  key: string;
  file: string;
  local: { status: StateView['status']; version?: string };
  cluster: { status: StateView['status']; version?: string };
  served?: SmokeCheck[];
  findings: Finding[];
}

const RECORD_FIELDS = ['version', 'timestamp', 'gitSha', 'registry', 'publishedAt', 'packages'] as const;

function differingFields(a: StateRecord, b: StateRecord): string[] {
  return RECORD_FIELDS.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
}

export function compareState(language: LanguageId, where: { configMap: string; key: string; file: string }, local: StateView, cluster: StateView): Finding[] {
  const out: Finding[] = [];
  const add = (kind: FindingKind, message: string, fix: string) => out.push({ language, kind, message, fix });
  const push = `ameide-pkg state push --lang ${language}`;
  const sync = `ameide-pkg state sync --lang ${language}`;
  if (cluster.status === 'missing-configmap') add('missing-configmap', `ConfigMap ${where.configMap} does not exist`, local.status === 'ok' ? push : `ameide-pkg publish --lang ${language}`);
  else if (cluster.status === 'missing') add('missing-key', `ConfigMap ${where.configMap} has no key ${where.key}`, local.status === 'ok' ? push : `ameide-pkg publish --lang ${language}`);
  else if (cluster.status === 'invalid') add('invalid-cluster', `ConfigMap ${where.configMap} key ${where.key} is ${cluster.reason}`, local.status === 'ok' ? push : `ameide-pkg publish --lang ${language}`);
  if (local.status === 'missing') add('missing-local', `${where.file} does not exist`, cluster.status === 'ok' ? sync : `ameide-pkg publish --lang ${language}`);
  else if (local.status === 'invalid') add('invalid-local', `${where.file} is ${local.reason}`, cluster.status === 'ok' ? sync : `ameide-pkg publish --lang ${language}`);
  if (local.status === 'ok' && cluster.status === 'ok') {
    const fields = differingFields(local.record, cluster.record);
    if (fields.length)
      add(
        'mismatch',
        `local ${local.record.version} ≠ cluster ${cluster.record.version} (differs in ${fields.join(', ')})`,
        `${sync} (take the cluster's) or ${push} (take the local one)`,
      );
  }
  return out;
}

export interface CheckOptions {
  root: string;
  config: Config;
  languages: LanguageId[];
  /** How each language's records are validated (languages/index.ts `recordRules()`). */
  rules: RecordRules;
  client: ConfigMapClient;
  /** When given, ask the registries whether each recorded version is still served. */
  served?: (language: LanguageId, record: StateRecord) => Promise<SmokeCheck[]>;
}

export async function checkState(o: CheckOptions): Promise<LanguageCheck[]> {
  const read = configMapReader(o.client);
  return Promise.all(
    o.languages.map(async (language): Promise<LanguageCheck> => {
      const { configMap, key } = stateMapping(o.config, language);
      const file = stateFilePath(o.root, o.config, language);
      const [local, cluster] = await Promise.all([readLocalView(file, language, o.rules), read(configMap).then((cm) => clusterView(cm, key, language, o.rules))]);
      const where = { configMap, key, file };
      const findings = compareState(language, where, local, cluster);
      const result: LanguageCheck = {
        language,
        ...where,
        local: { status: local.status, version: local.status === 'ok' ? local.record.version : undefined },
        cluster: { status: cluster.status, version: cluster.status === 'ok' ? cluster.record.version : undefined },
        findings,
      };
      if (o.served) {
        // The cluster's record is what consumers deploy from; fall back to the local one.
        const record = cluster.status === 'ok' ? cluster.record : local.status === 'ok' ? local.record : undefined;
        if (record) {
          result.served = await o.served(language, record);
          for (const c of result.served.filter((x) => !x.ok))
            findings.push({ language, kind: 'not-served', message: `${c.name}${c.detail ? ` (${c.detail})` : ''}`, fix: `ameide-pkg publish --lang ${language}, then ameide-pkg state push --lang ${language}` });
        }
      }
      return result;
    }),
  );
}
