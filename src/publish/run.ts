import { checkEnvAll, type EnvSpec } from '../config/env.js';
import type { Config, LanguageId } from '../config/schema.js';
import type { Language, LanguageContext, PublishOutcome, SmokeReport, VersionPlan } from '../languages/types.js';
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
 */
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
  smokeOptions: Record<string, unknown>;
  now?: () => Date;
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
  const ctx: LanguageContext = { root: o.root, config: o.config, env: o.env, out: o.out };
  const run: LanguageRun = { language: lang.id, ok: false, stage: 'plan' };
  try {
    run.plan = await lang.plan(ctx, o.snapshot);
    run.stage = 'publish';
    run.outcome = await lang.publish(ctx, run.plan, { dryRun: o.dryRun, smoke: o.smoke });
    if (o.dryRun) {
      run.stage = 'done';
      run.ok = true;
      return run;
    }
    if (o.smoke) {
      run.stage = 'smoke';
      run.smoke = await lang.smoke(ctx, run.plan, run.outcome, o.smokeOptions);
      if (!run.smoke.ok) {
        const failed = run.smoke.checks.filter((c) => !c.ok);
        throw new CliError(`${lang.id} smoke failed: ${failed.map((c) => `${c.name}${c.detail ? ` (${c.detail})` : ''}`).join('; ')}`, 1);
      }
    }
    run.stage = 'state';
    run.record = buildStateRecord(run.plan, run.outcome, (o.now ?? (() => new Date()))());
    run.stateFile = stateFilePath(o.root, o.config, lang.id);
    await writeState(run.stateFile, run.record);
    run.stage = 'done';
    run.ok = true;
  } catch (err) {
    run.error = errorMessage(err);
    run.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
  return run;
}

export async function runPublish(o: PublishRunOptions): Promise<LanguageRun[]> {
  return Promise.all(o.languages.map((l) => runLanguage(l, o)));
}
