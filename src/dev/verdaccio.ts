import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../util/errors.js';

/**
 * Verdaccio is an optional peer dependency: only `dev` runs it, and a CI install of ameide-pkg
 * should not pull a whole npm registry (and its ~300 packages) in. The build injects the range
 * package.json declares, so the message names exactly what to install.
 */
declare const __AMEIDE_PKG_VERDACCIO_RANGE__: string | undefined;
const VERDACCIO_RANGE = typeof __AMEIDE_PKG_VERDACCIO_RANGE__ === 'string' ? __AMEIDE_PKG_VERDACCIO_RANGE__ : '^6';
export const VERDACCIO_INSTALL = `npm install --save-dev 'verdaccio@${VERDACCIO_RANGE}'`;

type RunServer = (c: unknown) => Promise<{ listen: (p: number, h: string, cb: () => void) => Server }>;

async function loadVerdaccio(): Promise<RunServer> {
  try {
    return ((await import('verdaccio')) as unknown as { runServer: RunServer }).runServer;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Only "verdaccio itself is not installed"; a broken install of it should surface as is.
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && /['"]verdaccio['"]/.test(e.message)) {
      throw usageError(`dev needs Verdaccio (the npm registry it runs), an optional peer dependency that is not installed — run: ${VERDACCIO_INSTALL} (or npm install -g the same for a global ameide-pkg)`);
    }
    throw err;
  }
}

/**
 * A real Verdaccio 6, in-process through its runServer API (its CLI needs Node 22), on
 * 127.0.0.1:0 with temp storage and no uplinks.
 */
export interface Verdaccio {
  url: string;
  close(): Promise<void>;
  /** Create a user and return its token (PUT /-/user/org.couchdb.user:<name>). */
  addUser(name: string, password: string): Promise<string>;
}

export interface VerdaccioOptions {
  /** Keep packages here across runs; default: a temp dir removed on close. */
  storage?: string;
  host?: string;
  port?: number;
}

export async function startVerdaccio(opts: VerdaccioOptions = {}): Promise<Verdaccio> {
  // Before touching the disk: a missing Verdaccio leaves nothing behind.
  const runServer = await loadVerdaccio();
  const dir = opts.storage ?? mkdtempSync(join(tmpdir(), 'verdaccio-'));
  if (opts.storage) mkdirSync(dir, { recursive: true });
  const app = await runServer({
    self_path: dir,
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 100 } },
    uplinks: {},
    packages: { '@*/*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' }, '**': { access: '$all', publish: '$authenticated' } },
    log: { type: 'stdout', format: 'pretty', level: 'fatal' },
    web: { enable: false },
    security: { api: { legacy: true } },
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}/`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => {
          if (!opts.storage) rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
    async addUser(name, password) {
      const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password, email: `${name}@example.invalid`, type: 'user', roles: [], date: new Date().toISOString() }),
      });
      const body = (await res.json()) as { token?: string; error?: string };
      if (!body.token) throw new Error(`verdaccio adduser failed: ${res.status} ${JSON.stringify(body)}`);
      return body.token;
    },
  };
}
