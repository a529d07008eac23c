import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from '../../util/child-env.js';

/**
 * The real npm client, with the token in a temporary userconfig (mode 0600, removed after)
 * so it never appears on a command line or in output.
 */
export interface NpmSession {
  registry: string;
  env: NodeJS.ProcessEnv;
  dispose(): Promise<void>;
}

export function registryAuthKey(registry: string): string {
  const u = new URL(registry);
  return `//${u.host}${u.pathname.replace(/\/?$/, '/')}`;
}

export async function npmSession(registry: string, token: string | undefined): Promise<NpmSession> {
  const dir = await mkdtemp(join(tmpdir(), 'ameide-npmrc-'));
  const userconfig = join(dir, 'npmrc');
  const lines = [`registry=${registry}`];
  if (token) lines.push(`${registryAuthKey(registry)}:_authToken=${token}`);
  await writeFile(userconfig, lines.join('\n') + '\n', { mode: 0o600 });
  return {
    registry,
    // The token lives only in the userconfig: npm pack/publish run the package's lifecycle scripts.
    env: childEnv({ npm_config_userconfig: userconfig, npm_config_registry: registry, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

export interface Packument {
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, { version: string; dist?: { integrity?: string; tarball?: string }; dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
}

/** GET the packument; null on 404. */
export async function fetchPackument(registry: string, name: string, token?: string): Promise<Packument | null> {
  const { request } = await import('undici');
  const url = `${registry.replace(/\/+$/, '')}/${name.replace('/', '%2f')}`;
  const res = await request(url, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  const text = await res.body.text();
  if (res.statusCode === 404) return null;
  if (res.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Packument;
}
