import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleStore } from '../registry/go/backend.js';
import type { RunningRegistry } from '../registry/server.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Verdaccio } from './verdaccio.js';

/**
 * The whole registry side on one machine: an in-process Verdaccio for npm and `registry
 * serve` (Go uploader + GOPROXY read API + Python index under /pypi), on 127.0.0.1.
 *
 * Credentials are minted per stack and kept out of output: they go to a 0600 env file
 * the printed instructions `source`.
 */
export interface DevStackOptions {
  /** Keep registry contents here across runs; default: a temp dir removed on close. */
  storage?: string;
  host?: string;
  /** Variables the languages add for their consumers (`Language.devEnv`: GONOSUMDB for the SDK's hosts). */
  consumerEnv?: Record<string, string>;
  /** Go modules in this store (e.g. an S3 bucket) instead of <storage>/go. */
  goStore?: ModuleStore;
}

export interface DevStack {
  storage: string;
  /** Non-secret variables a shell (or a child process) needs. */
  env: Record<string, string>;
  /** NPM_TOKEN, TWINE_USERNAME, TWINE_PASSWORD. */
  secrets: Record<string, string>;
  /** 0600 file with `export` lines for the secrets. */
  secretsFile: string;
  urls: { npm: string; go: string; pypi: string };
  close(): Promise<void>;
}

const DEV_USER = 'ameide-dev';

export async function startDevStack(o: DevStackOptions = {}): Promise<DevStack> {
  const owned = !o.storage;
  const storage = o.storage ?? (await mkdtemp(join(tmpdir(), 'ameide-dev-')));
  await mkdir(storage, { recursive: true });
  const host = o.host ?? '127.0.0.1';
  const { startVerdaccio } = await import('./verdaccio.js');
  const { startRegistry } = await import('../registry/server.js');
  const pyPassword = randomBytes(18).toString('base64url');
  let npm: Verdaccio | undefined;
  let registry: RunningRegistry | undefined;
  try {
    npm = await startVerdaccio({ storage: join(storage, 'npm'), host });
    registry = await startRegistry({
      storage: o.goStore ?? join(storage, 'go'),
      host,
      port: 0,
      readApi: true,
      python: { prefix: '/pypi', storage: join(storage, 'pypi'), username: DEV_USER, password: pyPassword },
    });
    // Verdaccio answers an existing user with a login when the password matches: keep
    // the npm password stable per storage so a persistent --storage can be reused.
    const npmPassword = owned ? randomBytes(18).toString('base64url') : await stablePassword(storage);
    const token = await npm.addUser(DEV_USER, npmPassword);
    const urls = { npm: npm.url, go: registry.url, pypi: `${registry.url}/pypi` };
    const env: Record<string, string> = {
      NPM_REGISTRY_URL: urls.npm,
      GO_REGISTRY_URL: urls.go,
      GOPROXY: urls.go,
      GOWORK: 'off',
      TWINE_REPOSITORY_URL: `${urls.pypi}/`,
      PIP_INDEX_URL: `${urls.pypi}/simple/`,
    };
    Object.assign(env, o.consumerEnv);
    const secrets = { NPM_TOKEN: token, TWINE_USERNAME: DEV_USER, TWINE_PASSWORD: pyPassword };
    const secretsFile = join(storage, 'credentials.env');
    await writeFileAtomic(secretsFile, Object.entries(secrets).map(([k, v]) => `export ${k}=${v}\n`).join(''), 0o600);
    const [n, r] = [npm, registry];
    return {
      storage,
      env,
      secrets,
      secretsFile,
      urls,
      close: async () => {
        await Promise.allSettled([n.close(), r.close()]);
        if (owned) await rm(storage, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.allSettled([npm?.close(), registry?.close()]);
    if (owned) await rm(storage, { recursive: true, force: true });
    throw err;
  }
}

async function stablePassword(storage: string): Promise<string> {
  const path = join(storage, '.npm-password');
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing) return existing.trim();
  const pw = randomBytes(18).toString('base64url');
  await writeFileAtomic(path, pw, 0o600);
  return pw;
}

/** The `export` lines `dev` prints: every non-secret variable, then where the secrets are. */
export function shellExports(stack: Pick<DevStack, 'env' | 'secretsFile'>): string {
  const lines = Object.entries(stack.env).map(([k, v]) => `export ${k}=${v}`);
  if (!stack.env.GONOSUMDB) lines.push('# GONOSUMDB not set: no Go modules found here (run `ameide-pkg dev -C <monorepo>` to derive it)');
  lines.push(`. ${stack.secretsFile}   # NPM_TOKEN, TWINE_USERNAME, TWINE_PASSWORD (mode 0600)`);
  return lines.join('\n');
}
