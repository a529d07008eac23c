import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Is a cluster configured at all? Answered from the filesystem and env only, without
 * importing @kubernetes/client-node (0.3–0.45 s), so `publish` can decide cheaply whether to
 * push state. Mirrors KubeConfig.loadFromDefault's search order.
 */
export type KubeSource = 'KUBECONFIG' | '~/.kube/config' | 'in-cluster';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function detectKubeConfig(env: NodeJS.ProcessEnv): KubeSource | null {
  const fromEnv = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  if (fromEnv.some((p) => existsSync(p))) return 'KUBECONFIG';
  const home = env.HOME ?? homedir();
  if (home && existsSync(join(home, '.kube', 'config'))) return '~/.kube/config';
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) return 'in-cluster';
  return null;
}
