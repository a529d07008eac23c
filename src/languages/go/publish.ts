import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { rfc3339 } from '../../snapshot/timestamp.js';
import { usageError } from '../../util/errors.js';
import { formatBytes } from '../../util/log.js';
import { readEnv } from '../../config/env.js';
import { DRY_RUN_REGISTRY, type PublishOutcome, type PublishedPackage, type VersionPlan } from '../../model/packages.js';
import { retryBaseDelayMs } from '../../util/http.js';
import type { LanguageContext, PublishOptions } from '../types.js';
import type { GoConfig } from './config.js';
import { GO_PUBLISH_ENV } from './env.js';
import { parseGoMod } from '../../gomod/modfile.js';
import { buildModuleZip } from '../../gomod/zip-create.js';
import { uploadModule } from './upload.js';

/** `.info` exactly as go and Athens expect it: Version + RFC 3339 UTC Time of the snapshot. */
export function infoDocument(version: string, time: string): Buffer {
  return Buffer.from(JSON.stringify({ Version: version, Time: rfc3339(new Date(time)) }) + '\n');
}

/** `publish --json` `details` of a Go module (docs/architecture.md §6.1). */
export interface GoPublishDetails {
  /** Files in the module zip, and its size in bytes. */
  files: number;
  size: number;
  /** Files left out by x/mod's rules (vendor/, nested modules, …). */
  omitted: number;
  /** The `.info` Time: the snapshot's instant, RFC 3339 UTC. */
  time: string;
}

export async function publishGo(ctx: LanguageContext<GoConfig>, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome<GoPublishDetails, 'go'>> {
  // A dry run needs no environment: it builds, checks and reports, and sends nothing.
  const env = opts.dryRun ? undefined : readEnv(GO_PUBLISH_ENV, ctx.env, 'go publish');
  // A dry run reports where it would have uploaded, if that is known.
  const registry = env?.GO_REGISTRY_URL ?? (ctx.env.GO_REGISTRY_URL || DRY_RUN_REGISTRY);
  const token = env?.GO_REGISTRY_TOKEN;
  // GO_MODULE_PATH guards a dry run too when it is set.
  const expectedModule = env ? env.GO_MODULE_PATH : ctx.env.GO_MODULE_PATH || undefined;
  const packages: PublishedPackage<GoPublishDetails>[] = [];
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
      const details: GoPublishDetails = { files: zip.files, size: zip.size, omitted: zip.selection.omitted.length, time: rfc3339(new Date(plan.snapshot.time)) };
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
          retry: { baseDelayMs: retryBaseDelayMs(ctx.env), onRetry: (n, why, ms) => ctx.out.warn(`go: upload attempt ${n} failed (${why}); retrying in ${ms} ms`) },
        },
      );
      if (res.h1 && res.h1 !== zip.h1) throw new Error(`registry computed ${res.h1} for ${pkg.name}@${pkg.version}, expected ${zip.h1}`);
      ctx.out.info(`go: ${res.status === 201 ? 'published' : 'already present'} ${pkg.name}@${pkg.version} ${zip.h1}`);
      packages.push({ name: pkg.name, version: pkg.version, digest: zip.h1, status: res.status === 201 ? 'published' : 'already-present', details });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { language: 'go', registry, packages };
}
