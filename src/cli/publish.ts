import type { Command } from 'commander';
import type { EnvSpec } from '../config/env.js';
import { languages as allLanguages, selectLanguages, uniqueFlags } from '../languages/index.js';
import type { PublishStage } from '../publish/run.js';
import { table } from '../util/log.js';
import type { LiveBlock } from '../util/live.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';
import { snapshotFromFlags, snapshotOptions, type SnapshotFlags } from './snapshot-options.js';

interface PublishFlags extends SnapshotFlags {
  dryRun?: boolean;
  smoke?: boolean;
  push?: boolean;
  namespace?: string;
  /** Each language's own smoke flags (`--with-go`, …), picked by that language. */
  [languageFlag: string]: unknown;
}

/** `go      GO_REGISTRY_URL, GO_REGISTRY_TOKEN (optional); smoke: GOPROXY` — one line per language. */
function environmentHelp(): string {
  const names = (spec: EnvSpec) => spec.map((v) => (v.required ? v.name : `${v.name} (optional)`)).join(', ');
  return allLanguages()
    .map((l) => `  ${l.id.padEnd(8)}${names(l.publishEnv)}${l.smokeEnv.length ? `; smoke: ${names(l.smokeEnv)}` : ''}`)
    .join('\n');
}

export function registerPublish(program: Command): void {
  const cmd = program
    .command('publish')
    .description('publish snapshot builds, smoke-test them through the consumer path, then record state')
    .addOption(langOption())
    .option('--dry-run', 'build artifacts and print what would be published; upload and write nothing')
    .option('--no-smoke', 'skip the smoke step (state is still only written after a successful publish)');
  for (const f of uniqueFlags(allLanguages().flatMap((l) => l.smokeFlags))) cmd.option(f.flags, f.description, f.defaultValue);
  cmd
    .option('--push', 'push state to the ConfigMaps after writing it; fail if no cluster is configured')
    .option('--no-push', 'do not push state to Kubernetes (default: push when a kubeconfig is found)')
    .option('--namespace <ns>', 'namespace of the state ConfigMaps (default: config "namespace", then the kube context)')
    .addHelpText(
      'after',
      () => `
Environment (all missing names are reported at once, exit 2):
${environmentHelp()}
  kube    KUBECONFIG / ~/.kube/config / in-cluster: state is pushed to the ConfigMaps after it is written
Exit codes: 0 all published · 1 a language (or its state push) failed, the others still complete · 2 usage/config.`,
    );
  snapshotOptions(cmd).action(
    action(async (opts: PublishFlags, command: Command) => {
      const ctx = commandContext(command);
      const { config } = await withConfig(ctx);
      const languages = selectLanguages(config, opts.lang);
      const ids = languages.map((l) => l.id);
      const { publishPipeline } = await import('../publish/pipeline.js');
      const report = await import('../publish/report.js');
      const dryRun = Boolean(opts.dryRun);
      // On a terminal: one live line per language; elsewhere (CI, --json, a pipe) the plain
      // lines the languages print are the whole story, as before.
      let live: LiveBlock<PublishStage> | undefined;
      try {
        const result = await publishPipeline({
          root: ctx.root,
          config,
          env: ctx.env,
          out: ctx.out,
          languages,
          dryRun,
          smoke: opts.smoke !== false,
          smokeFlags: opts,
          push: opts.push,
          namespace: opts.namespace,
          // Resolved once the usage checks passed; the block starts with the run itself.
          snapshot: async () => {
            const snapshot = await snapshotFromFlags(ctx.root, ctx.env, opts, config);
            ctx.out.info(`snapshot ${snapshot.timestamp} ${snapshot.gitSha} (time: ${snapshot.timeSource})${dryRun ? ' — dry run' : ''}`);
            live = ctx.out.live<PublishStage>(ids);
            return snapshot;
          },
          onStage: (language, stage, detail) => (stage === 'done' || stage === 'failed' ? live?.end(language, stage === 'done', detail) : live?.stage(language, stage, detail)),
        });
        // The block ends here: what follows are results, printed below it.
        live?.finish();
        for (const line of report.pushErrors(result)) ctx.out.error(line);
        const note = report.pushNote(result);
        if (note) ctx.out.info(note);
        for (const line of report.runErrors(result)) ctx.out.error(line);
        if (ctx.json) ctx.out.json(report.publishJson(result, ctx.root));
        // The summary table goes to stderr in every mode, so --json stdout stays one document.
        process.stderr.write('\n' + table(report.SUMMARY_HEADERS, report.summaryRows(result, ctx.root)) + '\n');
        return result.exitCode;
      } finally {
        live?.finish();
      }
    }),
  );
}
