import { CliError, EXIT } from '../util/errors.js';
import { detectKubeConfig } from './access.js';
import type { ConfigMapClient } from './configmaps.js';

export interface OpenConfigMapsOptions {
  env: NodeJS.ProcessEnv;
  /** `--namespace`, then the config file's "namespace", then the kube context's. */
  namespaceFlag?: string;
  configNamespace?: string;
}

/**
 * Open the cluster the way kubectl would; a clear exit-2 error when none is configured.
 * Shared by `state push|sync|check` and the publish pipeline's push, so neither command
 * reaches into the other. The client library is imported only here, only when needed.
 */
export async function openConfigMaps(o: OpenConfigMapsOptions): Promise<ConfigMapClient> {
  if (!detectKubeConfig(o.env)) {
    throw new CliError('kube: no cluster configured (no KUBECONFIG, ~/.kube/config, or in-cluster service account) — set KUBECONFIG', EXIT.usage);
  }
  const { connectConfigMaps } = await import('./configmaps.js');
  return connectConfigMaps({ namespaceFlag: o.namespaceFlag, configNamespace: o.configNamespace });
}
