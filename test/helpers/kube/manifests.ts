import { execa } from 'execa';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../repo.js';

/** deploy/kubernetes rendered the way users render it: the real `kubectl kustomize`. */
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; [k: string]: any };

export const KUSTOMIZE_ROOT = join(PROJECT_ROOT, 'deploy', 'kubernetes');
export const OVERLAYS = ['pvc', 's3', 'athens-external'] as const;

export async function render(dir: string): Promise<K8sObject[]> {
  const r = await execa('kubectl', ['kustomize', join(KUSTOMIZE_ROOT, dir)], { reject: false });
  if (r.exitCode !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length) throw new Error(`${dir}: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

export interface PodTemplate {
  owner: K8sObject;
  spec: any;
  metadata: any;
}

/** The pod template of every workload (Deployment, Job, CronJob). */
export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const out: PodTemplate[] = [];
  for (const o of objects) {
    const t = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(o.kind) ? o.spec.template : undefined;
    if (t) out.push({ owner: o, spec: t.spec, metadata: t.metadata ?? {} });
  }
  return out;
}

export const allContainers = (spec: any): any[] => [...(spec.initContainers ?? []), ...(spec.containers ?? [])];

/** Containers that run the image's entrypoint (`ameide-pkg`) with `args` as its argv. */
export const cliContainers = (spec: any): any[] => allContainers(spec).filter((c) => !c.command);

/** Where kubernetes-models keeps the class for an apiVersion/kind. */
export function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}
