import { relative } from 'node:path';
import { checkEnvAll, type EnvSpec } from '../config/env.js';
import type { Config } from '../config/schema.js';
import { contextFor, pickFlags, recordRules } from '../languages/index.js';
import type { Language, PublishStep } from '../languages/types.js';
import type { LanguageId, PublishOutcome, SmokeReport, VersionPlan } from '../model/packages.js';
import type { Snapshot } from '../snapshot/resolve.js';
import { stateFilePath, writeState } from '../state/files.js';
import { buildStateRecord } from '../state/record.js';
import type { StateRecord } from '../state/schema.js';
import { CliError, errorMessage } from '../util/errors.js';
import type { Output } from '../util/log.js';

/**
 * publish → smoke → record, per language, all from ONE snapshot. Strict order: a language
 * whose publish or smoke failed writes no state. Languages are independent: they run
 * concurrently and one failing does not stop the others.
 *
 * The runner renders nothing itself: it reports where each language is through `onStage`,
 * and the caller decides how to show it (a live block on a terminal, nothing elsewhere).
 */

/**
 * What a person watching a language's run sees it doing, in order: plan → build → upload →
 * smoke → state (→ push, which the CLI does after all languages recorded their state).
 * `LanguageRun.stage` stays coarser ("publish" covers build and upload): it is part of --json.
 */
export type PublishStage = 'plan' | PublishStep | 'smoke' | 'state' | 'push';

/** `done`/`failed` end a language's run; `detail` is one short line (the error on failure). */
export type StageListener = (language: LanguageId, stage: PublishStage | 'done' | 'failed', detail?: string) => void;

export interface LanguageRun {
  language: LanguageId;
  ok: boolean;
  stage: 'plan' | 'publish' | 'smoke' | 'state' | 'done';
  plan?: VersionPlan;
  outcome?: PublishOutcome;
  smoke?: SmokeReport;
  stateFile?: string;
  record?: StateRecord;
  error?: string;
  exitCode?: number;
}

export interface PublishRunOptions {
  root: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  out: Output;
  snapshot: Snapshot;
  languages: Language[];
  dryRun: boolean;
  smoke: boolean;
  /** The command's parsed options: each language picks its own smoke flags from them. */
  smokeFlags: Readonly<Record<string, unknown>>;
  now?: () => Date;
  onStage?: StageListener;
}

/** All env problems of all selected languages in one error (exit 2), before anything runs. */
export function checkPublishEnv(languages: Language[], env: NodeJS.ProcessEnv, smoke: boolean): void {
  const specs: { spec: EnvSpec; context: string }[] = [];
  for (const l of languages) {
    specs.push({ spec: l.publishEnv, context: `${l.id} publish` });
    if (smoke) specs.push({ spec: l.smokeEnv, context: `${l.id} smoke` });
  }
  checkEnvAll(specs, env);
}

export async function runLanguage(lang: Language, o: PublishRunOptions): Promise<LanguageRun> {
  const ctx = contextFor(lang, { root: o.root, config: o.config, env: o.env, out: o.out });
  const run: LanguageRun = { language: lang.id, ok: false, stage: 'plan' };
  const emit = (stage: Parameters<StageListener>[1], detail?: string) => {
    // Showing progress must never be the reason a publish fails.
    try {
      o.onStage?.(lang.id, stage, detail);
    } catch {
      /* a rendering problem is not a publish problem */
    }
  };
  try {
    emit('plan');
    run.plan = await lang.plan(ctx, o.snapshot);
    run.stage = 'publish';
    // Every publish starts by building; languages refine this through onStep.
    emit('build', describePlan(run.plan));
    run.outcome = await lang.publish(ctx, run.plan, { dryRun: o.dryRun, onStep: (step, detail) => emit(step, detail) });
    if (o.dryRun) {
      run.stage = 'done';
      run.ok = true;
      emit('done', `dry run: ${countPackages(run.outcome)}`);
      return run;
    }
    if (o.smoke) {
      run.stage = 'smoke';
      emit('smoke', `through the consumer path (${run.outcome.packages.length} package${run.outcome.packages.length === 1 ? '' : 's'})`);
      run.smoke = await lang.smoke(ctx, run.plan, run.outcome, pickFlags(lang.smokeFlags, o.smokeFlags));
      if (!run.smoke.ok) {
        const failed = run.smoke.checks.filter((c) => !c.ok);
        throw new CliError(`${lang.id} smoke failed: ${failed.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join('; ')}`, 1);
      }
    }
    run.stage = 'state';
    run.stateFile = stateFilePath(o.root, o.config, lang.id);
    emit('state', relative(o.root, run.stateFile));
    run.record = buildStateRecord(run.plan, run.outcome, (o.now ?? (() => new Date()))());
    await writeState(run.stateFile, run.record, recordRules());
    run.stage = 'done';
    run.ok = true;
    emit('done', countPackages(run.outcome));
  } catch (err) {
    run.error = errorMessage(err);
    run.exitCode = err instanceof CliError ? err.exitCode : 1;
    emit('failed', run.error);
  }
  return run;
}

function describePlan(plan: VersionPlan): string {
  const [first] = plan.packages;
  if (!first) return 'nothing to publish';
  return plan.packages.length === 1 ? `${first.name}@${first.version}` : plan.packages.map((p) => p.name).join(', ');
}

/** "2 published", "1 published, 1 already present" — what the run did, in one phrase. */
function countPackages(outcome: PublishOutcome): string {
  const counts = new Map<string, number>();
  for (const p of outcome.packages) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  const words = { published: 'published', 'already-present': 'already present', 'dry-run': 'would be published' } as const;
  return [...counts].map(([status, n]) => `${n} ${words[status as keyof typeof words]}`).join(', ') || 'no packages';
}

export async function runPublish(o: PublishRunOptions): Promise<LanguageRun[]> {
  return Promise.all(o.languages.map((l) => runLanguage(l, o)));
}
