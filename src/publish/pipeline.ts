import { appendFile } from 'node:fs/promises';
import { detectKubeConfig, type KubeSource } from '../kube/access.js';
import type { ConfigMapClient } from '../kube/configmaps.js';
import type { OpenConfigMapsOptions } from '../kube/open.js';
import { recordRules } from '../languages/index.js';
import type { LanguageId } from '../model/packages.js';
import type { Snapshot } from '../snapshot/resolve.js';
import type { PushResult } from '../state/push.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';
import { buildReport, stepSummary, type LanguagePush, type PublishReport, type PushPhase } from './report.js';
import { checkPublishEnv, runPublish, type PublishRunOptions, type StageListener } from './run.js';

/**
 * The whole publish: check → publish → smoke → record (./run.ts, per language) → push the
 * recorded states → one PublishReport. `publish` and `dev --example` both run exactly this.
 *
 * Invariants:
 * 1. Every usage error (missing env, `--push` without a cluster) is raised before the snapshot
 *    is resolved and before any language publishes: nothing is uploaded on a run that was
 *    going to be refused. The cluster is decided once, up front, and not looked for again.
 * 2. Only languages whose state was written are pushed (a failed publish or smoke writes no
 *    state, so it pushes nothing); a dry run pushes nothing.
 * 3. A push problem never stops another language and never throws out of here: it becomes
 *    that language's (or every recorded language's) `error` in the report.
 * 4. The pipeline renders nothing: progress goes through `onStage` (push included), results
 *    through the report. The one side effect besides publishing, state and push is appending
 *    the summary to GITHUB_STEP_SUMMARY, which never fails a run.
 */
export interface PipelineOptions extends Omit<PublishRunOptions, 'snapshot'> {
  /** The snapshot, or how to resolve it — called after the usage checks (invariant 1). */
  snapshot: Snapshot | (() => Promise<Snapshot>);
  /** true: push, and refuse to run without a cluster; false: never push; undefined: push when a cluster is configured. */
  push?: boolean;
  /** `--namespace` for the state ConfigMaps. */
  namespace?: string;
  /** Append the summary table to $GITHUB_STEP_SUMMARY when it is set (default true). */
  stepSummary?: boolean;
  /** How the push reaches the cluster (default: kube/open.ts); tests pass an in-memory client. */
  openCluster?: (o: OpenConfigMapsOptions) => Promise<ConfigMapClient>;
}

/**
 * Where state will be pushed, decided before anything runs: null for a dry run, `--no-push`
 * or no cluster found; a usage error for `--push` without a cluster.
 */
export function pushTarget(o: { push?: boolean; dryRun: boolean; env: NodeJS.ProcessEnv }): KubeSource | null {
  const source = o.push === false || o.dryRun ? null : detectKubeConfig(o.env);
  if (o.push === true && !o.dryRun && !source) {
    throw new CliError('--push: no cluster configured (no KUBECONFIG, ~/.kube/config, or in-cluster service account) — set KUBECONFIG or drop --push', EXIT.usage);
  }
  return source;
}

export async function publishPipeline(o: PipelineOptions): Promise<PublishReport> {
  if (!o.dryRun) checkPublishEnv(o.languages, o.env, o.smoke);
  const cluster = pushTarget(o);
  const snapshot = typeof o.snapshot === 'function' ? await o.snapshot() : o.snapshot;
  const runs = await runPublish({ ...o, snapshot });
  const recorded = runs.filter((r) => r.ok && r.stateFile).map((r) => r.language);
  const push: PushPhase = o.dryRun
    ? { kind: 'skipped', reason: 'dry-run' }
    : o.push === false
      ? { kind: 'skipped', reason: 'disabled' }
      : !recorded.length
        ? { kind: 'skipped', reason: 'nothing-recorded' }
        : !cluster
          ? { kind: 'skipped', reason: 'no-cluster' }
          : await pushRecorded(o, cluster, recorded);
  const report = buildReport({ dryRun: o.dryRun, smoke: o.smoke, snapshot, runs, push });
  const summaryFile = o.env.GITHUB_STEP_SUMMARY;
  if (summaryFile && o.stepSummary !== false) {
    // A summary that cannot be written (read-only runner, bad path) is not a failed publish.
    await appendFile(summaryFile, stepSummary(report, o.root)).catch(() => {});
  }
  return report;
}

/** Push the recorded languages' state files (invariants 2, 3), reporting each through onStage. */
async function pushRecorded(o: PipelineOptions, cluster: KubeSource, recorded: LanguageId[]): Promise<PushPhase> {
  const emit: StageListener = (language, stage, detail) => {
    try {
      o.onStage?.(language, stage, detail);
    } catch {
      /* a rendering problem is not a push problem */
    }
  };
  for (const l of recorded) emit(l, 'push');
  const results = new Map<LanguageId, PushResult>();
  let error: string | undefined;
  try {
    const open = o.openCluster ?? (await import('../kube/open.js')).openConfigMaps;
    const client = await open({ env: o.env, namespaceFlag: o.namespace, configNamespace: o.config.namespace });
    const { pushState } = await import('../state/push.js');
    for (const p of await pushState({ root: o.root, config: o.config, languages: recorded, rules: recordRules(), client, dryRun: false })) results.set(p.language, p);
  } catch (err) {
    error = errorMessage(err) || 'push failed';
  }
  const languages: Partial<Record<LanguageId, LanguagePush>> = {};
  for (const l of recorded) {
    const p = results.get(l);
    if (p) languages[l] = p;
    else if (error) languages[l] = { error };
    const failure = p?.error ?? error ?? (p ? undefined : 'not pushed');
    if (failure) emit(l, 'failed', failure);
    else emit(l, 'done', p?.done ? `${p.configMap} (${p.done})` : undefined);
  }
  return { kind: 'pushed', cluster, error, languages };
}
