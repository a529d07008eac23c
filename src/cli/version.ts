import type { Command } from 'commander';
import { contextFor, selectLanguages } from '../languages/index.js';
import type { LanguageId } from '../model/packages.js';
import { table } from '../util/log.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';
import { snapshotFromFlags, snapshotOptions, type SnapshotFlags } from './snapshot-options.js';

export function registerVersion(program: Command): void {
  const cmd = program
    .command('version')
    .description('print the snapshot version every package would be published as')
    .addOption(langOption());
  snapshotOptions(cmd).action(
    action(async (opts: SnapshotFlags, command: Command) => {
      const ctx = commandContext(command);
      const { config } = await withConfig(ctx);
      const langs = selectLanguages(config, opts.lang);
      const snapshot = await snapshotFromFlags(ctx.root, ctx.env, opts, config);
      const base = { root: ctx.root, config, env: ctx.env, out: ctx.out };
      const plans = await Promise.all(langs.map((l) => l.plan(contextFor(l, base), snapshot)));
      const versions: Partial<Record<LanguageId, Record<string, string>>> = {};
      for (const p of plans) versions[p.language] = Object.fromEntries(p.packages.map((x) => [x.name, x.version]));
      if (ctx.json) {
        ctx.out.json({ timestamp: snapshot.timestamp, gitSha: snapshot.gitSha, timeSource: snapshot.timeSource, dirty: snapshot.dirty, versions });
        return;
      }
      ctx.out.print(
        `snapshot ${snapshot.timestamp} ${snapshot.gitSha} (time: ${snapshot.timeSource}${snapshot.dirty ? ', dirty tree' : ''})\n\n` +
          table(
            ['LANG', 'PACKAGE', 'VERSION'],
            plans.flatMap((p) => p.packages.map((x) => [p.language, x.name, x.version + (p.override ? '  (override)' : '')])),
          ),
      );
    }),
  );
}
