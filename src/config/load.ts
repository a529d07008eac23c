import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as z from 'zod/mini';
import { usageError } from '../util/errors.js';
import { CONFIG_FILE, type Config } from './schema.js';
import { formatIssues } from './issues.js';

export interface LoadedConfig {
  root: string;
  path: string;
  config: Config;
}

/** Read and validate `ameide-pkg.config.json` against `schema` (languages/index.ts builds it). */
export async function loadConfig(root: string, schema: z.ZodMiniType): Promise<LoadedConfig> {
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
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw usageError(`${path} is invalid: ${formatIssues(parsed.error.issues).join('; ')}`);
  }
  return { root, path, config: parsed.data as Config };
}
