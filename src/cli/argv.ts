/**
 * Every command, by the name it is invoked as; help lists them in this order. Plain data with no
 * imports: the executable (bin.ts) reads it before the bundle is loaded, to key its code cache.
 */
export const COMMAND_NAMES = ['version', 'registry', 'publish', 'state', 'smoke', 'dev', 'doctor', 'gc', 'pin'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * The command `args` (argv without node and script) invokes, when that is certain: the first
 * operand after nothing but global options (-C/--cwd <dir>, --json, --no-color). Anything
 * else — no command, `help`, an unknown word or option, `--` — gives undefined, and the caller
 * builds the whole program so that help, errors and suggestions see every command.
 */
export function invokedCommand<T extends string>(args: readonly string[], commands: readonly T[]): T | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-C' || a === '--cwd') i++;
    else if (a.startsWith('--cwd=') || /^-C./.test(a) || a === '--json' || a === '--no-color') continue;
    else return (commands as readonly string[]).includes(a) ? (a as T) : undefined;
  }
  return undefined;
}
