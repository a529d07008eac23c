import { Option } from 'commander';

/** `--lang ts|python|go|all` (default all), the same on every command that takes it. */
export const langOption = () => new Option('--lang <lang>', 'language').choices(['ts', 'python', 'go', 'all']).default('all');
