/**
 * The command `args` (argv without node and script) invokes, when that is certain: the first
 * operand after nothing but global options (-C/--cwd <dir>, --json, --no-color). Anything
 * else — no command, `help`, an unknown word or option, `--` — gives undefined, and the caller
 * builds the whole program so that help, errors and suggestions see every command.
 */
export function invokedCommand(args: readonly string[], commands: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-C' || a === '--cwd') i++;
    else if (a.startsWith('--cwd=') || /^-C./.test(a) || a === '--json' || a === '--no-color') continue;
    else return commands.includes(a) ? a : undefined;
  }
  return undefined;
}
