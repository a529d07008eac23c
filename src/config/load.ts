import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { usageError } from '../util/errors.js';
import { CONFIG_FILE, ConfigSchema, type Config, type LanguageId } from './schema.js';
import { formatIssues } from './issues.js';

export interface LoadedConfig {
  root: string;
  path: string;
  config: Config;
}

export async function loadConfig(root: string): Promise<LoadedConfig> {
  const path = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw usageError(`no ${CONFIG_FILE} in ${root}: run from the repository root or pass -C <dir>`);
    }
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw usageError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw usageError(`${path} is invalid: ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  return { root, path, config: parsed.data };
}

/** The languages a config publishes, in a stable order. */
export function configuredLanguages(config: Config): LanguageId[] {
  return (['ts', 'python', 'go'] as const).filter((l) => config[l] !== undefined);
}

/** `--lang` → the languages to act on; `all` means every configured one. */
export function selectLanguages(config: Config, lang: string | undefined): LanguageId[] {
  const configured = configuredLanguages(config);
  if (lang === undefined || lang === 'all') return configured;
  if (lang !== 'ts' && lang !== 'python' && lang !== 'go') {
    throw usageError(`--lang must be one of ts, python, go, all (got "${lang}")`);
  }
  if (!configured.includes(lang)) {
    throw usageError(`--lang ${lang}: ${CONFIG_FILE} has no "${lang}" section`);
  }
  return [lang];
}
