import { appendFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { selectLanguages } from '../config/load.js';
import type { PushResult } from '../state/push.js';
import type { PublishStage } from '../publish/run.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';
import { markdownTable, table } from '../util/log.js';
import { onPath } from '../util/path.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';
import { snapshotFromFlags, snapshotOptions, type SnapshotFlags } from './version.js';

interface PublishFlags extends SnapshotFlags {
  dryRun?: boolean;
  smoke?: boolean;
  withGo?: boolean;
  withPip?: boolean;
  upstreamProbe?: string;
  push?: boolean;
  namespace?: string;
}

export function registerPublish(program: Command): void {
  const cmd = program
    .command('publish')
    .description('publish snapshot builds, smoke-test them through the consumer path, then record state')
    .addOption(langOption())
    .option('--dry-run', 'build artifacts and print what would be published; upload and write nothing')
    .option('--no-smoke', 'skip the smoke step (state is still only written after a successful publish)')
    .option('--with-go', 'smoke Go modules with the real `go mod download` too (default when go is on PATH)')
    .option('--no-with-go', 'do not run the real go during smoke')
    .option('--upstream-probe <module@version>', 'Go smoke: fetch this upstream module twice through the proxy')
    .option('--push', 'push state to the ConfigMaps after writing it; fail if no cluster is configured')
    .option('--no-push', 'do not push state to Kubernetes (default: push when a kubeconfig is found)')
    .option('--namespace <ns>', 'namespace of the state ConfigMaps (default: config "namespace", then the kube context)')
    .addHelpText(
      'after',
      `
Environment (all missing names are reported at once, exit 2):
  go      GO_REGISTRY_URL, GO_REGISTRY_TOKEN (optional), GO_MODULE_PATH (optional); smoke: GOPROXY
  ts      NPM_REGISTRY_URL, NPM_TOKEN
  python  TWINE_REPOSITORY_URL, TWINE_USERNAME, TWINE_PASSWORD; smoke: PIP_INDEX_URL
  kube    KUBECONFIG / ~/.kube/config / in-cluster: state is pushed to the ConfigMaps after it is written
Exit codes: 0 all published · 1 a language (or its state push) failed, the others still complete · 2 usage/config.`,
    );
  snapshotOptions(cmd).action(
    action(async (opts: PublishFlags, command: Command) => {
      const ctx = commandContext(command);
      const { config } = await withConfig(ctx);
      const ids = selectLanguages(config, opts.lang);
      const { loadLanguage } = await import('../languages/registry.js');
      const { checkPublishEnv, runPublish } = await import('../publish/run.js');
      const languages = await Promise.all(ids.map(loadLanguage));
      const smoke = opts.smoke !== false;
      if (!opts.dryRun) checkPublishEnv(languages, ctx.env, smoke);
      // Decide about the cluster before publishing anything: `--push` without one is a
      // configuration error, caught while nothing has been written yet.
      const { detectKubeConfig } = await import('../kube/access.js');
      const kubeSource = opts.push === false || opts.dryRun ? null : detectKubeConfig(ctx.env);
      if (opts.push === true && !opts.dryRun && !kubeSource) {
        throw new CliError('--push: no cluster configured (no KUBECONFIG, ~/.kube/config, or in-cluster service account) — set KUBECONFIG or drop --push', EXIT.usage);
      }
      const snapshot = await snapshotFromFlags(ctx.root, ctx.env, opts, config);
      ctx.out.info(`snapshot ${snapshot.timestamp} ${snapshot.gitSha} (time: ${snapshot.timeSource})${opts.dryRun ? ' — dry run' : ''}`);
      const withGo = opts.withGo ?? (await onPath('go'));
      // On a terminal: one live line per language; elsewhere (CI, --json, a pipe) the plain
      // lines the languages print are the whole story, as before.
      const live = ctx.out.live<PublishStage>(ids);
      try {
        const runs = await runPublish({
          root: ctx.root,
          config,
          env: ctx.env,
          out: ctx.out,
          snapshot,
          languages,
          dryRun: Boolean(opts.dryRun),
          smoke,
          smokeOptions: { withGo, upstreamProbe: opts.upstreamProbe, withPip: opts.withPip },
          onStage: live && ((language, stage, detail) => (stage === 'done' || stage === 'failed' ? live.end(language, stage === 'done', detail) : live.stage(language, stage, detail))),
        });
        const pushed = new Map<string, PushResult>();
        let pushError: string | undefined;
        const recorded = runs.filter((r) => r.ok && r.stateFile).map((r) => r.language);
        if (kubeSource && recorded.length) {
          for (const l of recorded) live?.stage(l, 'push');
          try {
            const { openConfigMaps } = await import('./state.js');
            const client = await openConfigMaps(ctx, config, opts.namespace);
            const { pushState } = await import('../state/push.js');
            for (const p of await pushState({ root: ctx.root, config, languages: recorded, client, dryRun: false })) pushed.set(p.language, p);
          } catch (err) {
            pushError = errorMessage(err);
          }
          for (const l of recorded) {
            const p = pushed.get(l);
            const error = p?.error ?? pushError ?? (p ? undefined : 'not pushed');
            live?.end(l, !error, error ?? (p?.done ? `${p.configMap} (${p.done})` : undefined));
          }
        }
        // The block ends here: what follows are results, printed below it.
        live?.finish();
        if (kubeSource && recorded.length) {
          for (const p of pushed.values()) if (p.error) ctx.out.error(`${p.language}: state push: ${p.error}`);
          if (pushError) ctx.out.error(`state push: ${pushError}`);
        } else if (!opts.dryRun && opts.push !== false && recorded.length) {
          ctx.out.info('note: no kubeconfig found; state written locally only (state push skipped; --no-push silences this)');
        }
        const pushFailed = (lang: string) => Boolean(kubeSource && recorded.includes(lang as never) && (pushError || pushed.get(lang)?.error));
        const headers = ['LANG', 'PACKAGE', 'VERSION', 'DIGEST', 'SMOKE', 'STATE'];
        const rows = runs.flatMap((r) => {
          const pkgs = r.outcome?.packages ?? r.plan?.packages.map((p) => ({ name: p.name, version: p.version, digest: '' })) ?? [{ name: '-', version: '-', digest: '' }];
          const smokeCell = opts.dryRun ? 'dry-run' : !smoke ? 'skipped' : r.smoke ? (r.smoke.ok ? 'ok' : 'FAILED') : r.ok ? 'ok' : '-';
          const push = pushed.get(r.language);
          const pushCell = pushFailed(r.language) ? ', push FAILED' : push?.done ? ` → ${push.configMap} (${push.done})` : '';
          const stateCell = r.stateFile ? relative(ctx.root, r.stateFile) + pushCell : r.ok ? '-' : `FAILED (${r.stage})`;
          return pkgs.map((p) => [r.language, p.name, p.version, shortDigest(p.digest), smokeCell, stateCell]);
        });
        for (const r of runs) if (!r.ok) ctx.out.error(`${r.language}: ${r.error}`);
        if (ctx.env.GITHUB_STEP_SUMMARY) {
          await appendFile(ctx.env.GITHUB_STEP_SUMMARY, `### ameide-pkg publish ${snapshot.timestamp} ${snapshot.gitSha}\n\n${markdownTable(headers, rows)}\n\n`).catch(() => {});
        }
        const failed = runs.filter((r) => !r.ok || pushFailed(r.language));
        if (ctx.json) {
          ctx.out.json({
            ok: failed.length === 0,
            dryRun: Boolean(opts.dryRun),
            snapshot,
            languages: Object.fromEntries(
              runs.map((r) => [
                r.language,
                { ok: r.ok, stage: r.stage, error: r.error, registry: r.outcome?.registry, packages: r.outcome?.packages ?? [], smoke: r.smoke, stateFile: r.stateFile && relative(ctx.root, r.stateFile), push: pushed.get(r.language) ?? (pushFailed(r.language) ? { error: pushError } : undefined) },
              ]),
            ),
          });
        }
        // The summary table goes to stderr in every mode, so --json stdout stays one document.
        process.stderr.write('\n' + table(headers, rows) + '\n');
        if (!failed.length) return EXIT.ok;
        // A usage problem inside a language (bad override, bad go.mod) is still exit 2.
        return failed.every((r) => !r.ok && r.exitCode === EXIT.usage) ? EXIT.usage : EXIT.failure;
      } finally {
        live?.finish();
      }
    }),
  );
}

function shortDigest(d: string): string {
  return d.length > 24 ? d.slice(0, 24) + '…' : d;
}
