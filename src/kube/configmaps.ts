import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT } from '../util/errors.js';

/**
 * ConfigMap access through @kubernetes/client-node, imported lazily (it costs 0.3–0.45 s).
 * Only three verbs are used — get, create, merge-patch of ONE data key — so the RBAC a
 * service account needs is exactly `get, create, patch` on `configmaps`.
 *
 * Invariants:
 *  - a language never writes a ConfigMap key it does not own: writes are JSON merge patches
 *    of `{"data": {<key>: <value>}}`, never an update of the whole object, because other
 *    languages and other tools write the same map;
 *  - every write carries `fieldManager: ameide-pkg`;
 *  - a missing ConfigMap is created with the `managed-by` label; a create race (409
 *    AlreadyExists) and a stale write (409 Conflict) are retried with backoff.
 */
export const FIELD_MANAGER = 'ameide-pkg';
export const MANAGED_BY_LABELS = { 'app.kubernetes.io/managed-by': 'ameide-pkg' } as const;
const MAX_WRITE_ATTEMPTS = 6;
const RETRY_BASE_MS = 50;

export interface ConfigMapData {
  resourceVersion?: string;
  data: Record<string, string>;
}

export interface KubeTarget {
  namespace: string;
  /** Where the namespace came from, for messages. */
  namespaceSource: 'flag' | 'config' | 'context' | 'default';
  server: string;
  context: string;
}

export type KeyWrite = 'created' | 'patched';

export interface ConfigMapClient {
  target: KubeTarget;
  /** null when the ConfigMap does not exist. */
  read(name: string): Promise<ConfigMapData | null>;
  /** Merge-patch one key, creating the ConfigMap when it is missing. */
  writeKey(name: string, key: string, value: string): Promise<KeyWrite>;
}

interface ApiLikeError {
  code?: number;
  body?: unknown;
  message?: string;
  cause?: { code?: string };
}

function statusOf(err: unknown): { code?: number; reason?: string; message?: string; kind?: string } {
  const e = err as ApiLikeError;
  let body: any = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  return { code: typeof e?.code === 'number' ? e.code : undefined, reason: body?.reason, message: body?.message, kind: body?.details?.kind };
}

/** One-line, actionable messages for what a cluster answers (or fails to). */
export function kubeError(err: unknown, verb: string, target: KubeTarget, name?: string): CliError {
  const s = statusOf(err);
  const what = `${verb} configmaps${name ? ` "${name}"` : ''} in namespace "${target.namespace}"`;
  if (s.code === 401) return new CliError(`kube: unauthorized (401) talking to ${target.server} (context "${target.context}"): the credentials were rejected — refresh the token or KUBECONFIG`, EXIT.failure);
  if (s.code === 403)
    return new CliError(`kube: forbidden (403): cannot ${what} — grant the service account a Role with apiGroups [""], resources ["configmaps"], verbs ["get", "create", "patch"] in "${target.namespace}"${s.message ? ` (server: ${s.message})` : ''}`, EXIT.failure);
  if (s.code === 404 && s.kind === 'namespaces')
    return new CliError(`kube: namespace "${target.namespace}" does not exist on ${target.server} (namespace from ${target.namespaceSource}) — create it or pass --namespace`, EXIT.failure);
  if (s.code !== undefined) return new CliError(`kube: ${what} failed: HTTP ${s.code}${s.reason ? ` ${s.reason}` : ''}${s.message ? `: ${s.message}` : ''}`, EXIT.failure);
  const e = err as ApiLikeError;
  const netCode = e?.cause?.code ?? (e as { code?: string })?.code;
  const detail = typeof netCode === 'string' ? netCode : (e?.message ?? String(err));
  return new CliError(`kube: cannot reach the API server ${target.server} (context "${target.context}"): ${detail} — check KUBECONFIG / the current context`, EXIT.failure);
}

export interface ConnectOptions {
  namespaceFlag?: string;
  configNamespace?: string;
}

/** Load KUBECONFIG / ~/.kube/config / the in-cluster service account, like kubectl. */
export async function connectConfigMaps(opts: ConnectOptions): Promise<ConfigMapClient> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new CliError(`kube: cannot load a kubeconfig: ${(err as Error).message} — set KUBECONFIG`, EXIT.usage);
  }
  const contextName = kc.getCurrentContext();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CliError('kube: no current cluster in the kubeconfig — set KUBECONFIG or `kubectl config use-context`', EXIT.usage);
  const ctxNamespace = contextName ? kc.getContextObject(contextName)?.namespace : undefined;
  const [namespace, namespaceSource] = opts.namespaceFlag
    ? [opts.namespaceFlag, 'flag' as const]
    : opts.configNamespace
      ? [opts.configNamespace, 'config' as const]
      : ctxNamespace
        ? [ctxNamespace, 'context' as const]
        : ['default', 'default' as const];
  const target: KubeTarget = { namespace, namespaceSource, server: cluster.server, context: contextName || '(none)' };
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  const read = async (name: string): Promise<ConfigMapData | null> => {
    try {
      const cm = await api.readNamespacedConfigMap({ name, namespace });
      return { resourceVersion: cm.metadata?.resourceVersion, data: cm.data ?? {} };
    } catch (err) {
      const s = statusOf(err);
      if (s.code === 404 && s.kind !== 'namespaces') return null;
      throw kubeError(err, 'get', target, name);
    }
  };

  const writeKey = async (name: string, key: string, value: string): Promise<KeyWrite> => {
    let last: unknown;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()));
      try {
        await api.patchNamespacedConfigMap({ name, namespace, body: { data: { [key]: value } }, fieldManager: FIELD_MANAGER }, mergePatch);
        return 'patched';
      } catch (err) {
        const s = statusOf(err);
        last = err;
        if (s.code === 409) continue;
        if (s.code !== 404 || s.kind === 'namespaces') throw kubeError(err, 'patch', target, name);
      }
      try {
        await api.createNamespacedConfigMap({
          namespace,
          fieldManager: FIELD_MANAGER,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { ...MANAGED_BY_LABELS } }, data: { [key]: value } },
        });
        return 'created';
      } catch (err) {
        const s = statusOf(err);
        last = err;
        // Someone else created it between our patch and create: patch again.
        if (s.code === 409) continue;
        throw kubeError(err, 'create', target, name);
      }
    }
    throw kubeError(last, 'patch', target, name);
  };

  return { target, read, writeKey };
}
