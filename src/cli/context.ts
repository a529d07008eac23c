import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { configSchema } from '../languages/index.js';
import { CliError, EXIT, errorMessage } from '../util/errors.js';
import { colorEnabled, Output } from '../util/log.js';

/** Global options, accepted before or after the subcommand. */
export interface GlobalOptions {
  cwd?: string;
  json?: boolean;
  color?: boolean;
}

export interface CommandContext {
  root: string;
  json: boolean;
  out: Output;
  env: NodeJS.ProcessEnv;
}

export function commandContext(cmd: Command): CommandContext {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const json = Boolean(g.json);
  return {
    root: resolve(g.cwd ?? process.cwd()),
    json,
    out: new Output({ json, color: colorEnabled(g.color) }),
    env: process.env,
  };
}

export async function withConfig(ctx: CommandContext): Promise<LoadedConfig> {
  return loadConfig(ctx.root, configSchema());
}

/**
 * Run a command body and turn its result into an exit code. Errors meant for users print as
 * one line; anything else is a bug and prints its stack.
 */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await body(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (err) {
      const cmd = args.at(-1) as Command | undefined;
      const json = Boolean(cmd?.optsWithGlobals?.().json);
      const out = new Output({ json, color: colorEnabled(cmd?.optsWithGlobals?.().color) });
      if (err instanceof CliError) {
        out.error(err.message);
        if (json) out.json({ ok: false, error: err.message, exitCode: err.exitCode });
        process.exitCode = err.exitCode;
      } else {
        out.error(errorMessage(err));
        if (process.env.AMEIDE_PKG_DEBUG) console.error(err);
        if (json) out.json({ ok: false, error: errorMessage(err), exitCode: EXIT.failure });
        process.exitCode = EXIT.failure;
      }
    }
  };
}
