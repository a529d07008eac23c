import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateRecord } from '../../state/schema.js';
import type { LanguageContext, PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../types.js';
import { childEnv } from '../../util/child-env.js';
import { onPath } from '../../util/path.js';
import { indexFiles, sha256OfFile } from './upload.js';
import { publicVersion } from './version.js';

/** `state check --registry`: the index still lists a file with each recorded sha256. */
export async function servedPython(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]> {
  const index = ctx.env.PIP_INDEX_URL!;
  return Promise.all(
    record.packages.map(async (pkg): Promise<SmokeCheck> => {
      const name = `${pkg.name}==${pkg.version} served`;
      try {
        const want = pkg.digest.replace(/^sha256:/, '');
        const files = await indexFiles(index, pkg.name);
        return { name, ok: files.some((f) => f.sha256 === want), detail: files.some((f) => f.sha256 === want) ? undefined : `no file with ${pkg.digest} at ${index}` };
      } catch (err) {
        return { name, ok: false, detail: (err as Error).message };
      }
    }),
  );
}

/**
 * Smoke through PIP_INDEX_URL: the project page lists every uploaded file with the sha256
 * that was uploaded; with pip, `pip download name==<public version>` (no local label — the
 * pin a consumer writes) fetches that very wheel.
 */
export async function smokePython(ctx: LanguageContext, _plan: VersionPlan, outcome: PublishOutcome, opts: { withPip?: boolean }): Promise<SmokeReport> {
  const index = ctx.env.PIP_INDEX_URL!;
  const checks: SmokeCheck[] = [];
  const withPip = opts.withPip ?? (await onPath('pip'));
  for (const pkg of outcome.packages) {
    const expected = (pkg.details?.files as { filename: string; sha256: string }[] | undefined) ?? [];
    let served: { filename: string; sha256: string }[] = [];
    try {
      served = await indexFiles(index, pkg.name);
    } catch (err) {
      checks.push({ name: `${pkg.name} index page`, ok: false, detail: (err as Error).message });
      continue;
    }
    for (const f of expected) {
      const s = served.find((x) => x.filename === f.filename);
      checks.push({ name: `${f.filename} listed with sha256`, ok: s?.sha256 === f.sha256, detail: s ? `served ${s.sha256}` : 'not listed' });
    }
    if (withPip) {
      const dir = await mkdtemp(join(tmpdir(), 'ameide-pip-'));
      try {
        const { execa } = await import('execa');
        const spec = `${pkg.name}==${publicVersion(pkg.version)}`;
        const r = await execa('pip', ['download', '--isolated', '--no-deps', '--only-binary', ':all:', '--index-url', index, '-d', dir, spec], { reject: false, all: true, env: childEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1' }) });
        const got = (await readdir(dir)).find((f) => f.endsWith('.whl'));
        const sha = got ? `sha256:${await sha256OfFile(join(dir, got))}` : '';
        checks.push({ name: `pip download ${spec}`, ok: r.exitCode === 0 && sha === pkg.digest, detail: r.exitCode === 0 ? `${got} ${sha}` : String(r.all ?? '').trim().split('\n').slice(-2).join(' ') });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return { language: 'python', ok: checks.every((c) => c.ok), checks };
}
