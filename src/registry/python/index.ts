import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, type Refusal } from '../http.js';
import { handleRead } from './simple.js';
import { PythonStorage } from './storage.js';
import { handleUpload, isUploadRoute, preflightUpload, type UploadConfig } from './upload.js';

/**
 * A small Python package index for local use and tests, mounted under a prefix (/pypi):
 *  - legacy upload API (what twine speaks): POST / (or /legacy/) — upload.ts;
 *  - PEP 503 HTML and PEP 691 JSON at /simple/ and /simple/<normalized>/, files at
 *    /packages/<normalized>/<filename> — simple.ts;
 *  - storage layout, commit point and crash recovery — storage.ts.
 * Paths given to `handle` and `preflight` are below the prefix.
 */
export interface PythonIndexOptions {
  storage: string;
  /** Basic-auth credentials for uploads; both absent = anonymous uploads (the CLI asks for that explicitly). */
  username?: string;
  password?: string;
  maxFileBytes?: number;
  log?: (line: string) => void;
}

export interface PythonIndex {
  storage: PythonStorage;
  /** What start-up recovery removed. */
  recovered: { removedStaging: number; removedOrphans: number };
  /** Judge a request from its head alone (before the body is read): a Refusal, or null to go on. */
  preflight(req: IncomingMessage, path: string): Refusal | null;
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
}

export const DEFAULT_MAX_FILE_BYTES = 500 << 20;

export async function createPythonIndex(opts: PythonIndexOptions): Promise<PythonIndex> {
  const storage = new PythonStorage(opts.storage);
  const recovered = await storage.recover();
  if (recovered.removedStaging || recovered.removedOrphans) {
    opts.log?.(`python index recovery: removed ${recovered.removedStaging} staging dir(s), ${recovered.removedOrphans} uncommitted file(s)`);
  }
  const upload: UploadConfig = { storage, username: opts.username, password: opts.password, maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES, log: opts.log };
  return {
    storage,
    recovered,
    preflight: (req, path) => (isUploadRoute(req.method, path) ? preflightUpload(req, upload) : null),
    async handle(req, res, path) {
      if (isUploadRoute(req.method, path)) return handleUpload(req, res, upload);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD, POST');
        return sendError(res, 405, 'method not allowed', 'the index answers GET/HEAD, and POST / for uploads');
      }
      return handleRead(req, res, path, storage);
    },
  };
}
