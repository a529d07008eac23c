import { join } from 'node:path';
import { readEnv } from '../../config/env.js';
import type { PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../../model/packages.js';
import type { StateRecord } from '../../model/record.js';
import { onPath } from '../../util/path.js';
import { inTempDir } from '../../util/temp.js';
import type { LanguageContext } from '../types.js';
import { PYTHON_SMOKE_ENV } from './env.js';
import { pipDownload } from './pip.js';
import type { PythonPublishDetails } from './publish.js';
import { indexFiles, sha256OfFile } from './upload.js';
import { publicVersion } from './version.js';

/** `state check --registry`: the index still lists a file with each recorded sha256. */
export async function servedPython(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]> {
  const index = readEnv(PYTHON_SMOKE_ENV, ctx.env, 'python smoke').PIP_INDEX_URL;
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
export async function smokePython(ctx: LanguageContext, _plan: VersionPlan, outcome: PublishOutcome<PythonPublishDetails>): Promise<SmokeReport> {
  const index = readEnv(PYTHON_SMOKE_ENV, ctx.env, 'python smoke').PIP_INDEX_URL;
  const checks: SmokeCheck[] = [];
  // pip joins in when it is installed; without it the index page is still checked.
  const withPip = await onPath('pip');
  for (const pkg of outcome.packages) {
    const expected = pkg.details?.files ?? [];
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
      const spec = `${pkg.name}==${publicVersion(pkg.version)}`;
      const check = await inTempDir('ameide-pip-', async (dir): Promise<SmokeCheck> => {
        const r = await pipDownload(index, spec, dir);
        const sha = r.wheel ? `sha256:${await sha256OfFile(join(dir, r.wheel))}` : '';
        return { name: `pip download ${spec}`, ok: r.ok && sha === pkg.digest, detail: r.ok ? `${r.wheel ?? 'no wheel'} ${sha}` : r.output.trim().split('\n').slice(-2).join(' ') };
      });
      checks.push(check);
    }
  }
  return { language: 'python', ok: checks.every((c) => c.ok), checks };
}
