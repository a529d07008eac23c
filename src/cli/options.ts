import { Option } from 'commander';
import { languageIds } from '../languages/index.js';

/** `--lang <id>|all` (default all), the same on every command that takes it; the ids come from the table. */
export const langOption = () => new Option('--lang <lang>', 'language').choices([...languageIds(), 'all']).default('all');
