import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbageIn } from '../../src/registry/go/gc-store.js';
import { startRegistry } from '../../src/registry/server.js';
import { parsePrometheusText, sampleSum, sampleValue, type Family } from '../helpers/prom-text.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { CLI, makeRepo, PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';
import { goModuleFixture, type GoModuleFixture } from '../helpers/zips.js';

const MOD = 'go.packages.dev.ameide.io/metrics-sdk';
const GENERATED_ID = /^[0-9a-f]{12}-[0-9a-z]+$/;
const { tmp, track } = scratchDirs();

/** A multipart upload body built by hand, so the test knows its exact size. */
function uploadBody(f: Pick<GoModuleFixture, 'module' | 'version' | 'info' | 'mod' | 'zip'>): { body: Buffer; contentType: string } {
  const b = `----metrics${randomBytes(6).toString('hex')}`;
  const part = (name: string, data: string | Buffer, file?: string) =>
    Buffer.concat([Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
  const body = Buffer.concat([part('module', f.module), part('version', f.version), part('info', f.info, 'info'), part('mod', f.mod, 'go.mod'), part('zip', f.zip, 'source.zip'), Buffer.from(`--${b}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${b}` };
}

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('registry serve --log-format json: /metrics and logs', () => {
  const token = `tok-${randomBytes(16).toString('hex')}`;
  const wrongToken = `wrong-${randomBytes(16).toString('hex')}`;
  const querySecret = `qs-${randomBytes(16).toString('hex')}`;
  const externalSecret = randomBytes(16).toString('hex');
  let reg: RegistryProcess;
  beforeAll(async () => {
    const tokenFile = join(tmp('metrics-tok-'), 'token');
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    const secretFile = join(tmp('metrics-ext-'), 'secret');
    writeFileSync(secretFile, externalSecret + '\n', { mode: 0o600 });
    reg = await startRegistryProcess(['--storage', tmp('metrics-'), '--read-api', '--token-file', tokenFile, '--external-storage-secret-file', secretFile, '--log-format', 'json']);
  });
  afterAll(() => reg?.stop());

  it('counters move as expected after a 201, a 200, a 409, a 400 and a 401; logs are JSON lines without secrets', async () => {
    const v1 = goModuleFixture(MOD, 'v0.0.1');
    const other = goModuleFixture(MOD, 'v0.0.1', { body: 'different bytes' });
    const before = await scrape(reg.url);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) expect(before.has(name), name).toBe(true);
    for (const f of before.values()) expect(f.help, `HELP of ${f.name}`).toBeTruthy();

    const cases: { fx: Pick<GoModuleFixture, 'module' | 'version' | 'info' | 'mod' | 'zip'>; auth: string; status: number; id?: string }[] = [
      { fx: v1, auth: token, status: 201, id: 'client-req-201' },
      { fx: v1, auth: token, status: 200 },
      { fx: other, auth: token, status: 409 },
      { fx: { ...v1, version: 'v1' }, auth: token, status: 400 },
      { fx: v1, auth: wrongToken, status: 401 },
    ];
    let sent = 0;
    const ids: string[] = [];
    for (const c of cases) {
      const { body, contentType } = uploadBody(c.fx);
      sent += body.length;
      const res = await fetch(`${reg.url}/upload`, { method: 'POST', body, headers: { 'content-type': contentType, authorization: `Bearer ${c.auth}`, ...(c.id ? { 'x-request-id': c.id } : {}) } });
      await res.text();
      expect(res.status, `${c.fx.version} with ${c.auth === token ? 'token' : 'wrong token'}`).toBe(c.status);
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(c.id ? new RegExp(`^${c.id}$`) : GENERATED_ID);
      ids.push(id);
    }
    // A read, a malformed request id (replaced), a query string carrying a secret.
    const zip = await fetch(`${reg.url}/${MOD}/@v/v0.0.1.zip`, { headers: { 'x-request-id': 'not a valid id' } });
    expect(Buffer.from(await zip.arrayBuffer()).equals(v1.zip)).toBe(true);
    expect(zip.headers.get('x-request-id')).toMatch(GENERATED_ID);
    expect((await fetch(`${reg.url}/healthz?token=${querySecret}`)).status).toBe(200);
    // The second read of an .info is a cache hit answered before the request machinery:
    // still counted, logged and given an id.
    for (const id of ['info-read-1', 'info-read-2']) {
      const info = await fetch(`${reg.url}/${MOD}/@v/v0.0.1.info`, { headers: { 'x-request-id': id } });
      expect(info.status).toBe(200);
      expect(JSON.parse(await info.text()).Version).toBe('v0.0.1');
      expect(info.headers.get('x-request-id')).toBe(id);
    }
    // Athens' external storage routes carry their secret as a path segment.
    expect((await fetch(`${reg.url}/athens/${externalSecret}/${MOD}/@v/list`)).status).toBe(200);

    const after = await scrape(reg.url);
    const delta = (name: string, labels: Record<string, string>) => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    const results = Object.fromEntries(['stored', 'identical', 'conflict', 'invalid', 'unauthorized', 'too_large'].map((r) => [r, delta('ameide_registry_uploads_total', { registry: 'go', result: r })]));
    expect(results).toEqual({ stored: 1, identical: 1, conflict: 1, invalid: 1, unauthorized: 1, too_large: 0 });
    // Every body byte that arrived, including the refused 401's (read and discarded).
    expect(delta('ameide_registry_upload_received_bytes_total', { registry: 'go' })).toBe(sent);
    expect(sampleSum(after, 'ameide_registry_upload_duration_seconds_count', { registry: 'go' }) - sampleSum(before, 'ameide_registry_upload_duration_seconds_count', { registry: 'go' })).toBe(5);
    for (const status of ['201', '200', '409', '400', '401']) expect(delta('ameide_registry_request_duration_seconds_count', { route: 'upload', method: 'POST', status }), status).toBe(1);
    expect(delta('ameide_registry_served_total', { registry: 'go', kind: 'zip' })).toBe(1);
    expect(delta('ameide_registry_served_total', { registry: 'go', kind: 'info' })).toBe(2);
    expect(delta('ameide_registry_request_duration_seconds_count', { route: 'read_api', method: 'GET', status: '200' })).toBe(3);

    // Logs: stop the process so every line is flushed, then judge stderr line by line.
    expect(await reg.stop()).toBe(0);
    const lines = reg.stderr().split('\n').filter(Boolean);
    const events = lines.map((l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      expect(typeof e, l).toBe('object');
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(['info', 'warn', 'error']).toContain(e.level);
      return e;
    });
    for (const secret of [token, wrongToken, querySecret, externalSecret]) expect(reg.stderr()).not.toContain(secret);
    expect(reg.stderr()).not.toMatch(/authorization|bearer/i);
    const requests = events.filter((e) => e.kind === 'request');
    expect(requests.find((e) => String(e.path).startsWith('/athens/')), 'external storage path, secret redacted').toMatchObject({ path: `/athens/<secret>/${MOD}/@v/list`, status: 200 });
    const stored = requests.find((e) => e.requestId === 'client-req-201');
    expect(stored).toMatchObject({ method: 'POST', path: '/upload', status: 201, module: MOD, version: 'v0.0.1', result: 'stored' });
    expect(stored!.durationMs).toEqual(expect.any(Number));
    expect(requests.filter((e) => e.path === '/upload').map((e) => [e.requestId, e.status, e.result])).toEqual(
      ids.map((id, i) => [id, cases[i]!.status, ['stored', 'identical', 'conflict', 'invalid', 'unauthorized'][i]]),
    );
    expect(requests.find((e) => e.path === `/${MOD}/@v/v0.0.1.zip`)).toMatchObject({ status: 200, module: MOD, version: 'v0.0.1' });
    expect(requests.find((e) => e.path === '/healthz')).toMatchObject({ status: 200 });
    for (const id of ['info-read-1', 'info-read-2']) expect(requests.find((e) => e.requestId === id)).toMatchObject({ path: `/${MOD}/@v/v0.0.1.info`, status: 200, module: MOD, version: 'v0.0.1' });
    // Messages logged while serving a request carry its id (the 409's reason, for one).
    const conflict = events.find((e) => e.kind === 'message' && String(e.message).includes('(409)'));
    expect(conflict?.requestId).toBe(ids[2]);
  });
});

describe('prom-client is loaded by registry serve only', () => {
  it('`version --json` never requires it', async () => {
    const hook = join(tmp('metrics-hook-'), 'hook.cjs');
    writeFileSync(hook, `const M = require('node:module'); const load = M._load; M._load = function (r, ...a) { if (/prom-client/.test(r)) process.stderr.write('LOADED ' + r + '\\n'); return load.call(this, r, ...a); };\n`);
    // The hook itself sees a require of prom-client (from this package's node_modules).
    const control = await execa(process.execPath, ['--require', hook, '-e', "require('prom-client')"], { cwd: PROJECT_ROOT });
    expect(control.stderr).toContain('LOADED prom-client');
    const r = await execa(process.execPath, ['--require', hook, CLI, 'version', '--json', '-C', track(makeRepo())], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('LOADED');
  });
});

describe('registry metrics in-process', () => {
  it('gc run with the server metrics counts removed versions and freed bytes on /metrics', async () => {
    const reg = await startRegistry({ storage: tmp('metrics-gc-'), readApi: true });
    try {
      const versions = ['v0.0.0-20250101000000-aaaaaaaaaaaa', 'v0.0.0-20250102000000-bbbbbbbbbbbb', 'v0.0.0-20250103000000-cccccccccccc'];
      for (const [i, v] of versions.entries()) {
        const fx = goModuleFixture(MOD, v, { time: `2025-01-0${i + 1}T00:00:00Z` });
        const { body, contentType } = uploadBody(fx);
        expect((await fetch(`${reg.url}/upload`, { method: 'POST', body, headers: { 'content-type': contentType } })).status).toBe(201);
      }
      const reports = await collectGarbageIn(reg.storage, { keep: 1, includeTags: false, pinned: new Map(), dryRun: false, metrics: reg.metrics });
      const freed = reports.reduce((n, r) => n + r.bytesFreed, 0);
      expect(reports.flatMap((r) => r.removed.map((v) => v.version)).sort()).toEqual(versions.slice(0, 2));
      expect(freed).toBeGreaterThan(0);
      const m = await scrape(reg.url);
      expect(sampleValue(m, 'ameide_registry_gc_removed_versions_total')).toBe(2);
      expect(sampleValue(m, 'ameide_registry_gc_freed_bytes_total')).toBe(freed);
      expect(sampleValue(m, 'ameide_registry_uploads_total', { registry: 'go', result: 'stored' })).toBe(3);
    } finally {
      await reg.close(0);
    }
  });
});
