import { Option, type Command } from 'commander';
import type { Config } from '../config/schema.js';
import { resolveSnapshot } from '../snapshot/resolve.js';

/**
 * The snapshot flags every command that computes versions takes (`version`, `publish`), and
 * the one place they and the config become the run's snapshot. A shared option module, like
 * options.ts: commands import it, never each other.
 */
export function snapshotOptions(cmd: Command): Command {
  return cmd
    .option('--timestamp <YYYYMMDDHHMMSS>', 'use this UTC timestamp instead of the commit/current time')
    .addOption(new Option('--time-source <source>', 'commit time of HEAD or the current time').choices(['commit', 'now']))
    .option('--allow-dirty', 'allow uncommitted changes (versions then use the current time)');
}

export interface SnapshotFlags {
  timestamp?: string;
  timeSource?: 'commit' | 'now';
  allowDirty?: boolean;
  lang?: string;
}

/** The one place CLI flags + config become the run's snapshot. */
export function snapshotFromFlags(root: string, env: NodeJS.ProcessEnv, opts: SnapshotFlags, config: Config) {
  return resolveSnapshot({
    cwd: root,
    env,
    timestamp: opts.timestamp,
    timeSource: opts.timeSource ?? config.timeSource,
    allowDirty: Boolean(opts.allowDirty),
  });
}
