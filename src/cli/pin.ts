import { relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { EXIT, usageError } from '../util/errors.js';
import { action, commandContext } from './context.js';

interface PinFlags {
  lang: 'go' | 'ts' | 'python';
  state?: string;
  dir?: string;
  constraints: string;
  dryRun?: boolean;
}

export function registerPin(program: Command): void {
  program
    .command('pin')
    .description('pin a consumer to the versions a state record names (go.mod, package.json, constraints.txt)')
    .addOption(new Option('--lang <lang>', 'language').choices(['go', 'ts', 'python']).makeOptionMandatory())
    .option('--state <file>', 'state record to pin from (default: <stateDir>/<lang file> of the repo at -C)')
    .option('--dir <consumer>', 'consumer directory (default: -C / the current directory)')
    .option('--constraints <file>', 'python: constraints file inside --dir', 'constraints.txt')
    .option('--dry-run', 'print the edits; change nothing')
    .addHelpText(
      'after',
      `
go      go mod edit -require=<module>@<version> for each module (the real go), and drop
        replace directives that point those modules at a local path
ts      exact versions in the consumer's package.json (added to dependencies if absent)
python  a "<name>==<version>" line per package in the constraints file`,
    )
    .action(
      action(async (opts: PinFlags, command: Command) => {
        const ctx = commandContext(command);
        const dir = resolve(ctx.root, opts.dir ?? '.');
        let statePath = opts.state && resolve(ctx.root, opts.state);
        if (!statePath) {
          const { loadConfig } = await import('../config/load.js');
          const { stateFilePath } = await import('../state/files.js');
          const { config } = await loadConfig(ctx.root);
          statePath = stateFilePath(ctx.root, config, opts.lang);
        }
        const { readState } = await import('../state/files.js');
        const record = await readState(statePath, opts.lang).catch((err: Error) => {
          throw usageError(`--state: ${err.message}`);
        });
        if (!record) throw usageError(`no state file ${relative(process.cwd(), statePath) || statePath}: publish first, run \`ameide-pkg state sync\`, or pass --state`);
        const { planGoPin, planTsPin, planPythonPin } = await import('../pin/edits.js');
        const plan = opts.lang === 'go' ? await planGoPin(record, dir) : opts.lang === 'ts' ? await planTsPin(record, dir) : await planPythonPin(record, dir, opts.constraints);
        if (!opts.dryRun) await plan.apply();
        if (ctx.json) ctx.out.json({ ok: true, dryRun: Boolean(opts.dryRun), language: opts.lang, dir, version: record.version, edits: plan.edits });
        else {
          for (const e of plan.edits) ctx.out.print(`${opts.dryRun ? 'would edit' : 'edited'} ${e.file}: ${e.change}`);
          if (!plan.edits.length) ctx.out.print(`already pinned to ${record.version}`);
        }
        return EXIT.ok;
      }),
    );
}
