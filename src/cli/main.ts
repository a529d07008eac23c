import { Command, CommanderError } from 'commander';
import { ecosystemTitles } from '../languages/index.js';
import { EXIT } from '../util/errors.js';
import { TOOL_VERSION } from '../util/tool-version.js';
import { COMMAND_NAMES, invokedCommand, type CommandName } from './argv.js';
import { registerDev } from './dev.js';
import { registerDoctor } from './doctor.js';
import { registerGc } from './gc.js';
import { registerPin } from './pin.js';
import { registerPublish } from './publish.js';
import { registerRegistry } from './registry.js';
import { registerSmoke } from './smoke.js';
import { registerState } from './state.js';
import { registerVersion } from './version.js';

/** How each command registers itself (the names and their order: ./argv.ts). */
const REGISTER: Record<CommandName, (program: Command) => void> = {
  version: registerVersion,
  registry: registerRegistry,
  publish: registerPublish,
  state: registerState,
  smoke: registerSmoke,
  dev: registerDev,
  doctor: registerDoctor,
  gc: registerGc,
  pin: registerPin,
};

/**
 * Entry point: commander wiring only. Each command module registers itself and imports its
 * heavy dependencies lazily inside its action, so `ameide-pkg version` starts fast. With
 * `only`, just that command is registered: building all nine commands' options is measurable
 * start-up work that a run of one command never looks at.
 */
export function buildProgram(only?: string): Command {
  const program = new Command('ameide-pkg')
    .description(`Snapshot publishing for the ${ecosystemTitles()} SDKs of one monorepo.`)
    // `--version` is the tool's own version; the `version` command prints snapshot versions.
    .version(TOOL_VERSION, '-V, --version', 'print the ameide-pkg version')
    .option('-C, --cwd <dir>', 'repository root (where ameide-pkg.config.json is)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--no-color', 'disable colors (NO_COLOR is respected too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes: 0 ok · 1 a publish/smoke/network step failed · 2 usage or configuration error · 3 drift found by "state check".`,
    );
  for (const name of COMMAND_NAMES) if (only === undefined || name === only) REGISTER[name](program);
  return program;
}


async function main(argv: string[]): Promise<void> {
  const program = buildProgram(invokedCommand(argv.slice(2), COMMAND_NAMES));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit 0; bad usage exits 2 per the exit-code contract.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw err;
  }
}

// No top-level await: the bundle is CommonJS (see scripts/build.mjs).
void main(process.argv);
