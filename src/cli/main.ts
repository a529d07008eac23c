#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { EXIT } from '../util/errors.js';
import { TOOL_VERSION } from '../util/tool-version.js';
import { registerDev } from './dev.js';
import { registerDoctor } from './doctor.js';
import { registerGc } from './gc.js';
import { registerPin } from './pin.js';
import { registerPublish } from './publish.js';
import { registerRegistry } from './registry.js';
import { registerSmoke } from './smoke.js';
import { registerState } from './state.js';
import { registerVersion } from './version.js';

/**
 * Entry point: commander wiring only. Each command module registers itself and imports its
 * heavy dependencies lazily inside its action, so `ameide-pkg version` starts fast.
 */
export function buildProgram(): Command {
  const program = new Command('ameide-pkg')
    .description('Snapshot publishing for the TypeScript, Python and Go SDKs of one monorepo.')
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
  registerVersion(program);
  registerRegistry(program);
  registerPublish(program);
  registerState(program);
  registerSmoke(program);
  registerDev(program);
  registerDoctor(program);
  registerGc(program);
  registerPin(program);
  return program;
}


async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
