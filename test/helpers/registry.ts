import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { FormData, fetch } from 'undici';
import { CLI } from './repo.js';

export interface RegistryProcess {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): Promise<number | null>;
}

/** Start the BUILT `ameide-pkg registry serve` and wait for its "listening on" line. */
export function startRegistryProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RegistryProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'registry', 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (c) => (err += c));
    const rl = createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${err}`)), 15_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}: ${err}`));
    });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line);
      if (!m) return reject(new Error(`unexpected first line: ${line}`));
      resolve({
        url: m[1]!,
        proc,
        stderr: () => err,
        exited: () =>
          new Promise((res) => (proc.exitCode !== null || proc.signalCode !== null ? res(proc.exitCode) : proc.once('exit', (code) => res(code)))),
        stop: (signal = 'SIGTERM') =>
          new Promise((res) => {
            if (proc.exitCode !== null || proc.signalCode !== null) return res(proc.exitCode);
            proc.once('exit', (code) => res(code));
            proc.kill(signal);
          }),
      });
    });
  });
}

export interface UploadFields {
  module?: string;
  version?: string;
  info?: string;
  mod?: string | Buffer;
  zip?: Buffer;
}

export async function postUpload(base: string, fields: UploadFields, token?: string): Promise<{ status: number; body: any }> {
  const fd = new FormData();
  if (fields.module !== undefined) fd.append('module', fields.module);
  if (fields.version !== undefined) fd.append('version', fields.version);
  if (fields.info !== undefined) fd.append('info', new Blob([fields.info]), 'info');
  if (fields.mod !== undefined) fd.append('mod', new Blob([fields.mod]), 'go.mod');
  if (fields.zip !== undefined) fd.append('zip', new Blob([fields.zip]), 'source.zip');
  const res = await fetch(`${base}/upload`, { method: 'POST', body: fd, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body };
}

/** Every file under `root` (relative, sorted), ignoring the registry's own bookkeeping dirs. */
export function storedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(root, p);
      if (rel === '.staging' || rel === '.locks' || rel === '.pypi') continue;
      if (e.isDirectory()) walk(p);
      else out.push(rel);
    }
  };
  try {
    statSync(root);
  } catch {
    return [];
  }
  walk(root);
  return out.sort();
}

export const readText = (p: string) => readFileSync(p, 'utf8');

/**
 * Two GETs of `path` sent at once on one connection (HTTP/1.1 pipelining: the second answer
 * waits behind the first), then the connection is reset once `after` bytes of the first
 * answer have arrived.
 */
export function pipelinedThenReset(port: number, path: string, after = 100_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1', () => c.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(2)));
    let got = 0;
    c.on('data', (d: Buffer) => {
      got += d.length;
      if (got > after) {
        c.resetAndDestroy();
        resolve();
      }
    });
    c.on('error', reject);
  });
}
