// Shared helpers for scripts/bench/*: goal reporting, the registry process, multipart uploads.
// Benchmarks are not tests: they print numbers against goals and fail (exit 1) on a missed
// goal only with --strict, so a loaded machine never turns a benchmark run red by accident.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CLI = join(ROOT, 'dist/cli/main.js');
export const STRICT = process.argv.includes('--strict');

const missed = [];

/**
 * One line per goal, the same shape in every benchmark:
 *   `<label>: <value><unit> (goal <op> <target><unit>) OK|MISSED`
 */
export function goal(label, value, op, target, unit = '', digits = 2) {
  const ok = op === '<=' ? value <= target : value >= target;
  if (!ok) missed.push(label);
  console.log(`${label}: ${value.toFixed(digits)}${unit} (goal ${op} ${target}${unit}) ${ok ? 'OK' : 'MISSED'}`);
  return ok;
}

/** A fact that has no goal of its own, printed in the same style. */
export function report(label, text) {
  console.log(`${label}: ${text}`);
}

/** Load average, printed next to numbers measured on a shared machine. */
export function loadavg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Summary line; exit 1 on a missed goal only under --strict. */
export function finish() {
  console.log(`load average: ${loadavg()}`);
  if (missed.length) {
    console.log(`missed: ${missed.join(', ')}${STRICT ? '' : ' (exit 0 without --strict)'}`);
    if (STRICT) process.exitCode = 1;
  } else console.log('all goals met');
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Start a process whose first stdout line is "listening on <url>". */
export function startListening(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    createInterface({ input: proc.stdout }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      m ? resolve({ proc, url: m[1] }) : reject(new Error(line));
    });
    proc.once('exit', (c) => reject(new Error(`${cmd} exited ${c}`)));
  });
}

/** `ameide-pkg registry serve` from dist/ (run `npm run build` first). */
export function startRegistry(storage, extra = []) {
  return startListening(process.execPath, [CLI, 'registry', 'serve', '--storage', storage, '--quiet', ...extra]);
}

export async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** Peak resident set size of a live process, in MB (VmHWM). */
export function peakRssMb(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(s)[1]) / 1024;
}

/**
 * The upload protocol's multipart body around a zip: head (module, version, info, mod, zip
 * part header) and tail. The zip itself is streamed between them by the caller.
 */
export function multipartParts(mod, version, modFile = `module ${mod}\n`, time = '2025-01-01T00:00:00Z') {
  const boundary = 'bench-' + randomUUID();
  const fields = { module: mod, version, info: JSON.stringify({ Version: version, Time: time }), mod: modFile };
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"${k === 'info' || k === 'mod' ? `; filename="${k}"` : ''}\r\n\r\n${v}\r\n`)
      .join('') + `--${boundary}\r\nContent-Disposition: form-data; name="zip"; filename="source.zip"\r\nContent-Type: application/zip\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, head, tail };
}

/** A module zip in memory (file entries only, as x/mod writes them). */
export async function zipBuffer(mod, version, files) {
  const { default: yazl } = await import('yazl');
  const z = new yazl.ZipFile();
  const prefix = `${mod}@${version}/`;
  for (const [name, data] of Object.entries(files)) z.addBuffer(Buffer.from(data), prefix + name);
  z.end();
  const chunks = [];
  for await (const c of z.outputStream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Upload one small module version with undici; resolves to { status, ms, body }. */
export async function uploadSmall(url, mod, version, dispatcher) {
  const { request } = await import('undici');
  const modFile = `module ${mod}\n`;
  const zip = await zipBuffer(mod, version, { 'go.mod': modFile, 'x.go': `package x\n\nconst V = ${JSON.stringify(version)}\n` });
  const { contentType, head, tail } = multipartParts(mod, version, modFile);
  const body = Buffer.concat([head, zip, tail]);
  const t = process.hrtime.bigint();
  const res = await request(`${url}/upload`, { method: 'POST', body, headers: { 'content-type': contentType }, dispatcher });
  const text = await res.body.text();
  return { status: res.statusCode, ms: Number(process.hrtime.bigint() - t) / 1e6, body: text };
}
