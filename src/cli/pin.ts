import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { languageById, languageIds, languages, pickFlags, recordRules, uniqueFlags } from '../languages/index.js';
import { EXIT, usageError } from '../util/errors.js';
import { action, commandContext } from './context.js';

interface PinFlags {
  lang: string;
  state?: string;
  dir?: string;
  dryRun?: boolean;
  [languageFlag: string]: unknown;
}

export function registerPin(program: Command): void {
  const cmd = program
    .command('pin')
    .description('pin a consumer to the versions a state record names (go.mod, package.json, constraints.txt)')
    .addOption(new Option('--lang <lang>', 'language').choices(languageIds()).makeOptionMandatory())
    .option('--state <file>', 'state record to pin from (default: <stateDir>/<lang file> of the repo at -C)')
    .option('--dir <consumer>', 'consumer directory (default: -C / the current directory)');
  // Each language's own flags (python: --constraints <file>), once each.
  for (const f of uniqueFlags(languages().flatMap((l) => l.pin.flags))) cmd.option(f.flags, f.description, f.defaultValue);
  cmd
    .option('--dry-run', 'print the edits; change nothing')
    .addHelpText('after', () => '\n' + languages().map((l) => `${l.id.padEnd(8)}${l.pin.summary.replace(/\n/g, `\n${' '.repeat(8)}`)}`).join('\n'))
    .action(
      action(async (opts: PinFlags, command: Command) => {
        const ctx = commandContext(command);
        const lang = languageById(opts.lang);
        const dir = resolve(ctx.root, opts.dir ?? '.');
        let statePath = opts.state && resolve(ctx.root, opts.state);
        if (!statePath) {
          const { loadConfig } = await import('../config/load.js');
          const { configSchema } = await import('../languages/index.js');
          const { stateFilePath } = await import('../state/files.js');
          const { config } = await loadConfig(ctx.root, configSchema());
          statePath = stateFilePath(ctx.root, config, lang.id);
        }
        const { readState } = await import('../state/files.js');
        const record = await readState(statePath, recordRules(), lang.id).catch((err: Error) => {
          throw usageError(`--state: ${err.message}`);
        });
        if (!record) throw usageError(`no state file ${relative(process.cwd(), statePath) || statePath}: publish first, run \`ameide-pkg state sync\`, or pass --state`);
        const plan = await lang.pin.plan(record, dir, pickFlags(lang.pin.flags, opts));
        if (!opts.dryRun) await plan.apply();
        if (ctx.json) ctx.out.json({ ok: true, dryRun: Boolean(opts.dryRun), language: lang.id, dir, version: record.version, edits: plan.edits });
        else {
          for (const e of plan.edits) ctx.out.print(`${opts.dryRun ? 'would edit' : 'edited'} ${e.file}: ${e.change}`);
          if (!plan.edits.length) ctx.out.print(`already pinned to ${record.version}`);
        }
        return EXIT.ok;
      }),
    );
}
