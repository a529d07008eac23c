import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { rfc3339 } from '../../snapshot/timestamp.js';
import { usageError } from '../../util/errors.js';
import { formatBytes } from '../../util/log.js';
import type { LanguageContext, PublishOptions, PublishOutcome, PublishedPackage, VersionPlan } from '../types.js';
import { parseGoMod } from '../../gomod/modfile.js';
import { buildModuleZip } from '../../gomod/zip-create.js';
import { uploadModule } from './upload.js';

/** `.info` exactly as go and Athens expect it: Version + RFC 3339 UTC Time of the snapshot. */
export function infoDocument(version: string, time: string): Buffer {
  return Buffer.from(JSON.stringify({ Version: version, Time: rfc3339(new Date(time)) }) + '\n');
}

export async function publishGo(ctx: LanguageContext, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome> {
  const registry = ctx.env.GO_REGISTRY_URL ?? '';
  const token = ctx.env.GO_REGISTRY_TOKEN || undefined;
  const expectedModule = ctx.env.GO_MODULE_PATH || undefined;
  const packages: PublishedPackage[] = [];
  const work = await mkdtemp(join(tmpdir(), 'ameide-go-'));
  try {
    for (const pkg of plan.packages) {
      const mod = await readFile(join(pkg.dir, 'go.mod'));
      const declared = parseGoMod(mod.toString('utf8')).module;
      if (expectedModule && declared !== expectedModule && plan.packages.length === 1) {
        throw usageError(`GO_MODULE_PATH=${expectedModule} but ${relative(ctx.root, pkg.dir)}/go.mod says module ${declared}`);
      }
      opts.onStep?.('build', `module zip ${pkg.name}@${pkg.version}`);
      const zip = await buildModuleZip(pkg.dir, pkg.name, pkg.version, join(work, `${packages.length}.zip`));
      const info = infoDocument(pkg.version, plan.snapshot.time);
      const details = { files: zip.files, size: zip.size, omitted: zip.selection.omitted.length, time: rfc3339(new Date(plan.snapshot.time)) };
      if (opts.dryRun) {
        ctx.out.info(`go: would upload ${pkg.name}@${pkg.version} (${zip.files} files, ${formatBytes(zip.size)}, ${zip.h1})`);
        packages.push({ name: pkg.name, version: pkg.version, digest: zip.h1, status: 'dry-run', details });
        continue;
      }
      const label = `${pkg.name}@${pkg.version}`;
      opts.onStep?.('upload', `${label} (${zip.files} files, ${formatBytes(zip.size)})`);
      const bar = ctx.out.progress(`go: uploading ${label}`);
      const progress = (done: number, total?: number) => {
        bar(done, total);
        opts.onStep?.('upload', `${label} ${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''}`);
      };
      const res = await uploadModule(
        registry,
        { module: pkg.name, version: pkg.version, info, mod, zipPath: zip.path },
        {
          token,
          onProgress: zip.size > 8 << 20 ? progress : undefined,
          retry: { baseDelayMs: Number(ctx.env.AMEIDE_PKG_RETRY_BASE_MS ?? 250), onRetry: (n, why, ms) => ctx.out.warn(`go: upload attempt ${n} failed (${why}); retrying in ${ms} ms`) },
        },
      );
      if (res.h1 && res.h1 !== zip.h1) throw new Error(`registry computed ${res.h1} for ${pkg.name}@${pkg.version}, expected ${zip.h1}`);
      ctx.out.info(`go: ${res.status === 201 ? 'published' : 'already present'} ${pkg.name}@${pkg.version} ${zip.h1}`);
      packages.push({ name: pkg.name, version: pkg.version, digest: zip.h1, status: res.status === 201 ? 'published' : 'already-present', details });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { language: 'go', registry: registry || 'http://dry-run.invalid', packages };
}
