import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import * as z from 'zod/mini';
import { readEnv, type EnvSpec } from '../../../src/config/env.js';
import { relPath } from '../../../src/config/schema.js';
import type { Language } from '../../../src/languages/types.js';
import { DRY_RUN_REGISTRY, type SmokeCheck } from '../../../src/model/packages.js';

/**
 * A fourth ecosystem that exists only for a test: "crates", packages described by a
 * `crate.json` ({ name, version }) and published as their bytes to a registry that answers
 * PUT/GET /crates/<name>/<version> and GET /crates/<name> (a JSON list of versions).
 *
 * It is the whole plug-in: this folder plus the one row test/e2e/fourth-ecosystem.test.ts
 * adds to the table (register.ts). No file in src/ knows it exists — which is what the test
 * shows by running every command against it.
 */
const SectionSchema = z.strictObject({ crates: z.array(z.strictObject({ dir: relPath })).check(z.minLength(1)) });
type Section = z.output<typeof SectionSchema>;

interface Details {
  bytes: number;
}

const PUBLISH_ENV = [
  { name: 'CRATES_REGISTRY_URL', kind: 'url', required: true, purpose: 'crate registry to publish to' },
  { name: 'CRATES_TOKEN', kind: 'text', required: true, purpose: 'publish token', secret: true },
] as const satisfies EnvSpec;
const SMOKE_ENV = [{ name: 'CRATES_REGISTRY_URL', kind: 'url', required: true, purpose: 'crate registry consumers read' }] as const satisfies EnvSpec;

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const digestOf = (bytes: Buffer) => `crate-sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function manifest(dir: string): Promise<{ name: string; version: string; bytes: Buffer }> {
  const bytes = await readFile(join(dir, 'crate.json'));
  const { name, version } = JSON.parse(bytes.toString('utf8')) as { name: string; version: string };
  return { name, version, bytes };
}

async function get(url: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** Each package is served with the recorded bytes. */
async function servedChecks(url: string, packages: readonly { name: string; version: string; digest: string }[]): Promise<SmokeCheck[]> {
  return Promise.all(
    packages.map(async (p) => {
      const r = await get(`${url}/crates/${p.name}/${p.version}`);
      const ok = r.status === 200 && digestOf(r.body) === p.digest;
      return { name: `${p.name}@${p.version} served`, ok, detail: ok ? undefined : `HTTP ${r.status}` };
    }),
  );
}

export const cratesLanguage: Language<Section, Details, 'cratesStrict', 'crates'> = {
  id: 'crates',
  title: 'Crates (test-only)',
  config: { schema: SectionSchema, state: { file: 'crates.json', configMap: 'crates-packages-state', key: 'crates.json' } },
  publishEnv: PUBLISH_ENV,
  smokeEnv: SMOKE_ENV,
  record: {
    digest: { pattern: /^crate-sha256:[0-9a-f]{64}$/, description: 'a crate-sha256:' },
    checkPackage: (name, version) =>
      !NAME.test(name) ? `${JSON.stringify(name)} is not a crate name` : semver.valid(version) !== version ? `${JSON.stringify(version)} is not a crate version` : null,
  },
  smokeFlags: [{ key: 'cratesStrict', flags: '--crates-strict', description: 'crates smoke: also compare the served bytes' }],

  async plan(ctx, snapshot) {
    const packages = [];
    for (const c of ctx.section.crates) {
      const dir = join(ctx.root, c.dir);
      const m = await manifest(dir);
      packages.push({ name: m.name, dir, base: m.version, version: `${m.version}-dev.${snapshot.timestamp}.g${snapshot.gitSha}` });
    }
    return { language: 'crates', snapshot, packages };
  },
  async publish(ctx, plan, opts) {
    const env = opts.dryRun ? undefined : readEnv(PUBLISH_ENV, ctx.env, 'crates publish');
    const packages = [];
    for (const p of plan.packages) {
      opts.onStep?.('build', p.name);
      const bytes = Buffer.from(JSON.stringify({ ...JSON.parse((await manifest(p.dir)).bytes.toString('utf8')), version: p.version }) + '\n');
      const digest = digestOf(bytes);
      if (!env) {
        packages.push({ name: p.name, version: p.version, digest, status: 'dry-run' as const, details: { bytes: bytes.length } });
        continue;
      }
      opts.onStep?.('upload', p.name);
      const res = await fetch(`${env.CRATES_REGISTRY_URL}/crates/${p.name}/${p.version}`, { method: 'PUT', body: bytes, headers: { authorization: `Bearer ${env.CRATES_TOKEN}` } });
      if (res.status !== 201 && res.status !== 200) throw new Error(`crates registry answered ${res.status}`);
      packages.push({ name: p.name, version: p.version, digest, status: res.status === 201 ? ('published' as const) : ('already-present' as const), details: { bytes: bytes.length } });
    }
    return { language: 'crates', registry: env?.CRATES_REGISTRY_URL ?? DRY_RUN_REGISTRY, packages };
  },
  async smoke(ctx, _plan, outcome, flags) {
    const checks = await servedChecks(readEnv(SMOKE_ENV, ctx.env, 'crates smoke').CRATES_REGISTRY_URL, outcome.packages);
    if (flags.cratesStrict) checks.push({ name: 'strict', ok: true });
    return { language: 'crates', ok: checks.every((c) => c.ok), checks };
  },
  async served(ctx, record) {
    return servedChecks(readEnv(SMOKE_ENV, ctx.env, 'crates smoke').CRATES_REGISTRY_URL, record.packages);
  },
  async consume(record, env) {
    for (const p of record.packages) {
      const r = await get(`${env.CRATES_REGISTRY_URL}/crates/${p.name}/${p.version}`);
      if (digestOf(r.body) !== p.digest) return { language: 'crates', ok: false, detail: `${p.name}@${p.version}: digest differs` };
    }
    return { language: 'crates', ok: true, detail: `fetched ${record.packages.map((p) => `${p.name}@${p.version}`).join(' ')}` };
  },
  pin: {
    summary: 'a "<name> = <version>" line per crate in crates.lock',
    flags: [],
    async plan(record, dir) {
      const path = join(dir, 'crates.lock');
      const want = record.packages.map((p) => `${p.name} = ${p.version}`).join('\n') + '\n';
      const have = await readFile(path, 'utf8').catch(() => '');
      const edits = have === want ? [] : [{ file: 'crates.lock', change: `pin ${record.version}` }];
      return { edits, apply: async () => void (edits.length && (await writeFile(path, want))) };
    },
  },
  doctor: {
    probes: (env) =>
      env.CRATES_REGISTRY_URL ? [{ id: 'health.crates', name: 'crates registry', url: `${env.CRATES_REGISTRY_URL}/health`, healthy: (s) => s === 200, fix: 'start the crates registry' }] : [],
    async latestRelease(name, env) {
      const r = await get(`${env.CRATES_REGISTRY_URL}/crates/${name}`);
      if (r.status !== 200) return null;
      const releases = (JSON.parse(r.body.toString('utf8')) as string[]).filter((v) => semver.valid(v) && !semver.prerelease(v));
      return releases.sort(semver.compare).at(-1) ?? null;
    },
    sortsAfter: async (a, b) => semver.gt(a, b),
    raiseBase: (latest) => `raise crate.json's version above ${latest}`,
    needsHistory: () => undefined,
    extra: async () => [],
  },
  toolchain: async () => ({}),
  devEnv: async () => ({}),
};
