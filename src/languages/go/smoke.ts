import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../config/env.js';
import type { PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../../model/packages.js';
import type { StateRecord } from '../../model/record.js';
import { rfc3339 } from '../../snapshot/timestamp.js';
import { onPath } from '../../util/path.js';
import type { FlagValues, LanguageContext } from '../types.js';
import { GO_SMOKE_ENV, firstProxy } from './env.js';
import type { GoPublishDetails } from './publish.js';
import { escapePath } from '../../gomod/escape.js';
import { inspectModuleZip } from '../../gomod/zip-check.js';
import { MAX_ZIP_FILE } from '../../gomod/limits.js';
import { childEnv } from '../../util/child-env.js';

/**
 * Smoke through the consumer's path (GOPROXY's first entry): the version is listed, .info
 * carries the right Version and Time, .mod is byte-identical, the .zip hashes to the h1 that
 * was uploaded. `go` itself accepts a wrong .mod or Time, so these are checked here
 * (verified with the real go). Optionally the real `go mod download` confirms the Sum.
 */
export type GoSmokeFlag = 'withGo' | 'upstreamProbe';


async function fetchProxy(base: string, path: string): Promise<{ status: number; body: Buffer }> {
  if (base.startsWith('file://')) {
    try {
      return { status: 200, body: await readFile(new URL(`${base}/${path}`)) };
    } catch {
      return { status: 404, body: Buffer.alloc(0) };
    }
  }
  const { request } = await import('undici');
  const res = await request(`${base}/${path}`, { method: 'GET' });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** `state check --registry`: each recorded module version still answers `.info` with itself. */
export async function servedGo(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]> {
  const proxy = firstProxy(readEnv(GO_SMOKE_ENV, ctx.env, 'go smoke').GOPROXY);
  return Promise.all(
    record.packages.map(async (pkg): Promise<SmokeCheck> => {
      const name = `${pkg.name}@${pkg.version} served`;
      try {
        const info = await fetchProxy(proxy, `${escapePath(pkg.name)}/@v/${escapePath(pkg.version)}.info`);
        if (info.status !== 200) return { name, ok: false, detail: `${proxy}: HTTP ${info.status}` };
        const doc = JSON.parse(info.body.toString('utf8')) as { Version?: string };
        return { name, ok: doc.Version === pkg.version, detail: doc.Version === pkg.version ? undefined : `.info Version ${JSON.stringify(doc.Version)}` };
      } catch (err) {
        return { name, ok: false, detail: (err as Error).message };
      }
    }),
  );
}

export async function smokeGo(ctx: LanguageContext, plan: VersionPlan, outcome: PublishOutcome<GoPublishDetails>, flags: FlagValues<GoSmokeFlag>): Promise<SmokeReport> {
  const proxy = firstProxy(readEnv(GO_SMOKE_ENV, ctx.env, 'go smoke').GOPROXY);
  // The real go joins in when asked, or by default when it is installed.
  const withGo = typeof flags.withGo === 'boolean' ? flags.withGo : await onPath('go');
  const upstreamProbe = typeof flags.upstreamProbe === 'string' ? flags.upstreamProbe : undefined;
  const checks: SmokeCheck[] = [];
  const check = (name: string, ok: boolean, detail?: string) => checks.push({ name, ok, detail });
  const work = await mkdtemp(join(tmpdir(), 'ameide-go-smoke-'));
  try {
    for (const pkg of outcome.packages) {
      const planned = plan.packages.find((p) => p.name === pkg.name);
      const base = `${escapePath(pkg.name)}/@v`;
      const v = escapePath(pkg.version);
      const id = `${pkg.name}@${pkg.version}`;
      try {
        const list = await fetchProxy(proxy, `${base}/list`);
        check(`${id} listed`, list.status === 200 && list.body.toString('utf8').split('\n').includes(pkg.version), list.status !== 200 ? `list: HTTP ${list.status}` : undefined);
        const info = await fetchProxy(proxy, `${base}/${v}.info`);
        let doc: { Version?: string; Time?: string } = {};
        try {
          doc = JSON.parse(info.body.toString('utf8'));
        } catch {
          /* reported below */
        }
        const wantTime = rfc3339(new Date(plan.snapshot.time));
        check(`${id} .info Version`, info.status === 200 && doc.Version === pkg.version, `got ${JSON.stringify(doc.Version)}`);
        check(`${id} .info Time`, doc.Time !== undefined && rfc3339(new Date(doc.Time)) === wantTime, `got ${JSON.stringify(doc.Time)}, want ${wantTime}`);
        const mod = await fetchProxy(proxy, `${base}/${v}.mod`);
        const localMod = planned ? await readFile(join(planned.dir, 'go.mod')) : null;
        { const same = mod.status === 200 && localMod !== null && mod.body.equals(localMod); check(`${id} .mod bytes`, same, same ? undefined : mod.status !== 200 ? `HTTP ${mod.status}` : 'differs from go.mod'); }
        const zip = await fetchProxy(proxy, `${base}/${v}.zip`);
        if (zip.status === 200) {
          const zp = join(work, 'm.zip');
          await writeFile(zp, zip.body);
          const got = await inspectModuleZip(zp, pkg.name, pkg.version, MAX_ZIP_FILE).then((r) => r.h1, (e: Error) => `invalid: ${e.message}`);
          check(`${id} .zip h1`, got === pkg.digest, `got ${got}, want ${pkg.digest}`);
        } else check(`${id} .zip h1`, false, `HTTP ${zip.status}`);
        if (withGo) {
          const sum = await goModDownload(ctx.env, work, id);
          check(`${id} go mod download`, sum.ok && sum.sum === pkg.digest, sum.ok ? `Sum ${sum.sum}` : sum.error);
        }
      } catch (err) {
        check(`${id} reachable`, false, (err as Error).message);
      }
    }
    if (upstreamProbe) {
      for (let i = 1; i <= 2; i++) {
        const sum = await goModDownload(ctx.env, work, upstreamProbe);
        check(`upstream ${upstreamProbe} (fetch ${i})`, sum.ok, sum.ok ? `Sum ${sum.sum}` : sum.error);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { language: 'go', ok: checks.every((c) => c.ok), checks };
}

/** `go mod download -json` in a throwaway GOPATH, the consumer's exact path. */
async function goModDownload(env: NodeJS.ProcessEnv, work: string, moduleAtVersion: string): Promise<{ ok: true; sum: string } | { ok: false; error: string }> {
  const { execa } = await import('execa');
  const gopath = await mkdtemp(join(work, 'gopath-'));
  const r = await execa('go', ['mod', 'download', '-json', moduleAtVersion], {
    cwd: gopath,
    reject: false,
    env: childEnv({ GOPATH: gopath, GOMODCACHE: join(gopath, 'pkg/mod'), GOWORK: 'off', GOFLAGS: '-mod=mod -modcacherw', GO111MODULE: 'on' }, env),
  });
  let doc: { Sum?: string; Error?: string } = {};
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    /* fall through */
  }
  await rm(gopath, { recursive: true, force: true }).catch(() => {});
  if (r.exitCode === 0 && doc.Sum) return { ok: true, sum: doc.Sum };
  return { ok: false, error: (doc.Error ?? r.stderr ?? '').trim().split('\n').slice(-2).join(' ') };
}
