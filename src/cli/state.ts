import { relative } from 'node:path';
import { Option, type Command } from 'commander';
import { contextFor, languages as allLanguages, readSideVariables, recordRules, selectLanguages } from '../languages/index.js';
import type { LanguageId, SmokeCheck } from '../model/packages.js';
import type { StateRecord } from '../model/record.js';
import { openConfigMaps } from '../kube/open.js';
import { EXIT } from '../util/errors.js';
import { table } from '../util/log.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';

interface StateFlags {
  lang: string;
  namespace?: string;
  dryRun?: boolean;
  registry?: boolean;
}

const namespaceOption = () => new Option('--namespace <ns>', 'namespace of the state ConfigMaps (default: config "namespace", then the kube context)');

/** What push and sync share: config, languages, the cluster. */
async function stateRun(opts: StateFlags, command: Command) {
  const ctx = commandContext(command);
  const { config } = await withConfig(ctx);
  const languages = selectLanguages(config, opts.lang).map((l) => l.id);
  const client = await openConfigMaps({ env: ctx.env, namespaceFlag: opts.namespace, configNamespace: config.namespace });
  return { ctx, client, run: { root: ctx.root, config, languages, rules: recordRules(), client, dryRun: Boolean(opts.dryRun) } };
}

export function registerState(program: Command): void {
  const state = program
    .command('state')
    .description('state records in Kubernetes: push local files to ConfigMaps, sync them back, check for drift')
    .addHelpText(
      'after',
      `
Each language owns ONE key of one ConfigMap (ameide-pkg.config.json "state"; defaults:
${allLanguages().map((l) => `${l.id} → ${l.config.state.configMap}/${l.config.state.key}`).join(', ')}).
Writes are JSON merge patches of that key only.
Cluster access: KUBECONFIG, ~/.kube/config, or the in-cluster service account (needs
get, create, patch on configmaps).`,
    );

  state
    .command('push')
    .description('merge-patch each language\'s local state file into its ConfigMap key (creating the ConfigMap if missing)')
    .addOption(langOption())
    .addOption(namespaceOption())
    .option('--dry-run', 'show what would be created or patched; write nothing')
    .action(
      action(async (opts: StateFlags, command: Command) => {
        const { ctx, client, run } = await stateRun(opts, command);
        const { pushState } = await import('../state/push.js');
        const results = await pushState(run);
        const explicit = opts.lang !== 'all';
        const failed = results.filter((r) => r.error || r.action === 'refuse' || (explicit && r.action === 'skip'));
        for (const r of results) if (r.error || r.reason) (r.error || r.action === 'refuse' ? ctx.out.error : ctx.out.info).call(ctx.out, `${r.language}: ${r.error ?? r.reason}`);
        if (ctx.json) ctx.out.json({ ok: failed.length === 0, dryRun: Boolean(opts.dryRun), namespace: client.target.namespace, server: client.target.server, results });
        else
          ctx.out.print(
            table(
              ['LANG', 'CONFIGMAP', 'KEY', 'VERSION', 'RESULT'],
              results.map((r) => [r.language, `${client.target.namespace}/${r.configMap}`, r.key, r.version ?? '-', r.done ?? r.action]),
            )
          );
        return failed.length ? EXIT.failure : EXIT.ok;
      }),
    );

  state
    .command('sync')
    .description('write ConfigMap state values to local state files (validated first, atomically, byte for byte)')
    .addOption(langOption())
    .addOption(namespaceOption())
    .option('--dry-run', 'show which files would be written; write nothing')
    .action(
      action(async (opts: StateFlags, command: Command) => {
        const { ctx, client, run } = await stateRun(opts, command);
        const { syncState } = await import('../state/sync.js');
        const results = await syncState(run);
        const explicit = opts.lang !== 'all';
        const failed = results.filter((r) => r.done === 'refused' || r.done === 'error' || (explicit && r.done.startsWith('missing')));
        for (const r of results) if (r.reason) (failed.includes(r) ? ctx.out.error : ctx.out.info).call(ctx.out, `${r.language}: ${r.reason}`);
        // A value that fails validation is bad input, not a transient failure: exit 2, like every reader of a record.
        const refused = results.some((r) => r.done === 'refused');
        if (ctx.json)
          ctx.out.json({ ok: failed.length === 0, dryRun: Boolean(opts.dryRun), namespace: client.target.namespace, results: results.map((r) => ({ ...r, file: relative(ctx.root, r.file) })) });
        else
          ctx.out.print(
            table(
              ['LANG', 'CONFIGMAP', 'KEY', 'FILE', 'VERSION', 'RESULT'],
              results.map((r) => [r.language, `${client.target.namespace}/${r.configMap}`, r.key, relative(ctx.root, r.file), r.version ?? '-', r.done]),
            )
          );
        return refused ? EXIT.usage : failed.length ? EXIT.failure : EXIT.ok;
      }),
    );

  state
    .command('check')
    .description('report drift: missing ConfigMap/key, invalid values, local ≠ cluster, versions no longer served')
    .addOption(langOption())
    .addOption(namespaceOption())
    .option('--registry', `also ask each registry whether the recorded versions are still served (uses ${readSideVariables()})`)
    .addHelpText('after', '\nExit codes: 0 clean · 3 drift found · 1 cluster unreachable/forbidden · 2 usage. `--json` gives one report for alerting.')
    .action(
      action(async (opts: StateFlags, command: Command) => {
        const ctx = commandContext(command);
        const { config } = await withConfig(ctx);
        const langs = selectLanguages(config, opts.lang);
        let served: ((language: LanguageId, record: StateRecord) => Promise<SmokeCheck[]>) | undefined;
        if (opts.registry) {
          const { checkEnvAll } = await import('../config/env.js');
          checkEnvAll(langs.map((l) => ({ spec: l.smokeEnv, context: `${l.id} state check --registry` })), ctx.env);
          const base = { root: ctx.root, config, env: ctx.env, out: ctx.out };
          served = (language, record) => {
            const l = langs.find((x) => x.id === language)!;
            return l.served(contextFor(l, base), record);
          };
        }
        const client = await openConfigMaps({ env: ctx.env, namespaceFlag: opts.namespace, configNamespace: config.namespace });
        const { checkState } = await import('../state/check.js');
        const results = await checkState({ root: ctx.root, config, languages: langs.map((l) => l.id), rules: recordRules(), client, served });
        const findings = results.flatMap((r) => r.findings);
        if (ctx.json) {
          ctx.out.json({
            ok: findings.length === 0,
            namespace: client.target.namespace,
            server: client.target.server,
            checkedAt: new Date().toISOString(),
            findings,
            languages: Object.fromEntries(results.map((r) => [r.language, { ...r, file: relative(ctx.root, r.file) }])),
          });
        } else {
          ctx.out.print(
            table(
              ['LANG', 'LOCAL', 'CLUSTER', 'STATUS'],
              results.map((r) => [r.language, r.local.version ?? r.local.status, r.cluster.version ?? r.cluster.status, r.findings.length ? r.findings.map((f) => f.kind).join(', ') : 'ok']),
            )
          );
          for (const f of findings) ctx.out.error(`${f.language}: ${f.kind}: ${f.message} — fix: ${f.fix}`);
          if (!findings.length) ctx.out.info('state is consistent');
        }
        return findings.length ? EXIT.drift : EXIT.ok;
      }),
    );
}
