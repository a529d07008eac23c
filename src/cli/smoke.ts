import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { contextFor, readSideVariables, recordRules, selectLanguages } from '../languages/index.js';
import { EXIT, usageError } from '../util/errors.js';
import { table } from '../util/log.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';

interface SmokeFlags {
  lang: string;
  state?: string;
  install?: boolean;
}

export function registerSmoke(program: Command): void {
  program
    .command('smoke')
    .description("re-check what the state files record: still served, and installable with each ecosystem's real client")
    .addOption(langOption())
    .option('--state <file>', 'state record to check (with a single --lang; default: the local state file)')
    .option('--no-install', 'only ask the registries; do not install with the real clients')
    .addHelpText('after', () => `\nUses the read-side env: ${readSideVariables()}. Exit 1 when a check fails.`)
    .action(
      action(async (opts: SmokeFlags, command: Command) => {
        const ctx = commandContext(command);
        const { config } = await withConfig(ctx);
        const langs = selectLanguages(config, opts.lang);
        if (opts.state && langs.length !== 1) throw usageError('--state needs a single --lang');
        const { checkEnvAll } = await import('../config/env.js');
        const { readState, stateFilePath } = await import('../state/files.js');
        checkEnvAll(langs.map((l) => ({ spec: l.smokeEnv, context: `${l.id} smoke` })), ctx.env);
        const rows: string[][] = [];
        const results: Record<string, unknown>[] = [];
        let failed = 0;
        for (const lang of langs) {
          const path = opts.state ? resolve(ctx.root, opts.state) : stateFilePath(ctx.root, config, lang.id);
          const record = await readState(path, recordRules(), lang.id).catch((err: Error) => {
            throw usageError(err.message);
          });
          if (!record) throw usageError(`no state file ${relative(ctx.root, path)}: publish first or run \`ameide-pkg state sync\``);
          const served = await lang.served(contextFor(lang, { root: ctx.root, config, env: ctx.env, out: ctx.out }), record);
          const consumer = opts.install === false ? undefined : await lang.consume(record, ctx.env);
          const ok = served.every((c) => c.ok) && (consumer?.ok ?? true);
          if (!ok) failed++;
          for (const c of served) rows.push([lang.id, c.name, c.ok ? 'ok' : 'FAILED', c.detail ?? '']);
          if (consumer) rows.push([lang.id, 'consumer install', consumer.skipped ? 'skipped' : consumer.ok ? 'ok' : 'FAILED', consumer.skipped ?? consumer.detail]);
          results.push({ language: lang.id, version: record.version, ok, served, consumer });
        }
        if (ctx.json) ctx.out.json({ ok: failed === 0, languages: results });
        else ctx.out.print(table(['LANG', 'CHECK', 'RESULT', 'DETAIL'], rows));
        return failed ? EXIT.failure : EXIT.ok;
      }),
    );
}
