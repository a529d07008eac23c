import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DoctorFinding, LanguageContext } from '../types.js';
import type { GoConfig } from './config.js';
import { httpProxy } from './env.js';
import { escapePath } from '../../gomod/escape.js';
import { checkGoEnv } from './goenv.js';
import { parseGoMod } from '../../gomod/modfile.js';
import { compareSemver, isValidSemver, semverPrerelease } from '../../gomod/semver.js';

const TIMEOUT_MS = 3000;

/** The module paths of the configured modules (unreadable go.mod files are left out). */
export async function modulePaths(root: string, section: GoConfig): Promise<string[]> {
  const paths: string[] = [];
  for (const m of section.modules) {
    const p = parseGoMod(await readFile(join(root, m.dir, 'go.mod'), 'utf8').catch(() => '')).module;
    if (p) paths.push(p);
  }
  return paths;
}

/** What the consumer's go would do with this environment for the SDK's modules. */
export async function checkGoConsumerEnv(ctx: LanguageContext<GoConfig>): Promise<DoctorFinding[]> {
  const modules = await modulePaths(ctx.root, ctx.section);
  const found = checkGoEnv(ctx.env, modules);
  return found.length ? found : [{ id: 'go.env', level: 'ok', what: `go reads ${modules.join(', ')} through GOPROXY without the checksum database` }];
}

/** Newest release (not pre-release) in GOPROXY's `@v/list` for a module, or null. */
export async function latestGoRelease(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const proxy = httpProxy(env.GOPROXY);
  if (!proxy) return null;
  const { request } = await import('undici');
  const res = await request(`${proxy}/${escapePath(name)}/@v/list`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.body.text();
  if (res.statusCode !== 200) return null;
  const releases = text.split('\n').filter((v) => isValidSemver(v) && !semverPrerelease(v));
  return releases.sort(compareSemver).at(-1) ?? null;
}
