import type { Command } from 'commander';
import { selectLanguages } from '../languages/index.js';
import { EXIT } from '../util/errors.js';
import { table } from '../util/log.js';
import { langOption } from './options.js';
import { action, commandContext, withConfig } from './context.js';

interface DoctorFlags {
  lang: string;
  namespace?: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check env, registries, git, cluster access and the consumer Go env before anything fails')
    .addOption(langOption())
    .option('--namespace <ns>', 'namespace of the state ConfigMaps')
    .addHelpText(
      'after',
      `
Checks: the env contract of publish and smoke (all missing names at once); /healthz, /readyz,
npm ping, index reachable; shallow clones; kube access to the state ConfigMaps; GOPRIVATE
without GONOPROXY=none (go then bypasses the proxy), GONOSUMDB, GOWORK=off; a snapshot base
that would sort below the latest release. Exit 1 when any check is an error.`,
    )
    .action(
      action(async (opts: DoctorFlags, command: Command) => {
        const ctx = commandContext(command);
        const { config } = await withConfig(ctx);
        const languages = selectLanguages(config, opts.lang);
        const { runDoctor } = await import('../doctor/run.js');
        const findings = await runDoctor({ root: ctx.root, config, env: ctx.env, languages, out: ctx.out, namespace: opts.namespace });
        const errors = findings.filter((f) => f.level === 'error');
        if (ctx.json) ctx.out.json({ ok: errors.length === 0, errors: errors.length, warnings: findings.filter((f) => f.level === 'warn').length, findings });
        else {
          ctx.out.print(table(['LEVEL', 'CHECK', 'WHAT'], findings.map((f) => [f.level.toUpperCase(), f.id, f.what])));
          for (const f of findings.filter((x) => x.level === 'error' || x.level === 'warn')) {
            ctx.out.print(`\n${f.level.toUpperCase()} ${f.id}: ${f.what}${f.why ? `\n  why: ${f.why}` : ''}${f.fix ? `\n  fix: ${f.fix}` : ''}`);
          }
          ctx.out.print(`\n${errors.length} error(s), ${findings.filter((f) => f.level === 'warn').length} warning(s)`);
        }
        return errors.length ? EXIT.failure : EXIT.ok;
      }),
    );
}
