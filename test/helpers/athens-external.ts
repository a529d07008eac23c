import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goHelperBinary } from './go.js';

/**
 * Athens' external-storage client, reproduced in Go (test/helpers/go/athensext): the same
 * escaping (x/mod module.EscapePath), URLs, streamed multipart body (mime/multipart, parts
 * mod.info, mod.mod, mod.zip) and no credentials. Built once in GOPATH mode (goHelperBinary).
 */
export const athensExtBinary = (): string => goHelperBinary('athensext');

const run = (args: string[]) =>
  new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve) => {
    execFile(athensExtBinary(), args, { encoding: 'buffer', maxBuffer: 1 << 30 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
  });

export class AthensExternalClient {
  constructor(readonly url: string) {}

  async save(module: string, version: string, files: { info: string | Buffer; mod: string | Buffer; zip: Buffer }): Promise<{ status: number; body: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'athensext-'));
    try {
      for (const [n, v] of Object.entries(files)) writeFileSync(join(dir, n), v);
      const r = await run(['save', this.url, module, version, join(dir, 'info'), join(dir, 'mod'), join(dir, 'zip')]);
      if (r.code !== 0) throw new Error(r.stderr);
      const line = r.stdout.toString().trim();
      const i = line.indexOf(' ');
      return { status: Number(i < 0 ? line : line.slice(0, i)), body: i < 0 ? '' : line.slice(i + 1) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Body, or the error line (status + body) the client would wrap. */
  async get(module: string, version: string, ext: 'info' | 'mod' | 'zip' | 'list'): Promise<{ ok: boolean; body: Buffer; error: string }> {
    const r = await run(['get', this.url, module, version, ext]);
    return { ok: r.code === 0, body: r.stdout, error: r.stderr.trim() };
  }

  async list(module: string): Promise<string[]> {
    const r = await this.get(module, '', 'list');
    if (!r.ok) throw new Error(r.error);
    return r.body.toString().split('\n').filter(Boolean);
  }

  async delete(module: string, version: string): Promise<number> {
    const r = await run(['delete', this.url, module, version]);
    if (r.code !== 0) throw new Error(r.stderr);
    return Number(r.stdout.toString().trim());
  }
}
