import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readEnv } from '../../config/env.js';
import { DRY_RUN_REGISTRY, type PublishOutcome, type PublishedPackage, type VersionPlan } from '../../model/packages.js';
import { failure } from '../../util/errors.js';
import { retryBaseDelayMs } from '../../util/http.js';
import type { LanguageContext, PublishOptions } from '../types.js';
import type { PythonConfig } from './config.js';
import { PYTHON_PUBLISH_ENV } from './env.js';
import { buildDists, findBuildInterpreter, stageProject, wheelMetadata, type BuiltDist } from './build.js';
import { readPythonProject } from './project.js';
import { servedSha256, sha256OfFile, uploadDist } from './upload.js';

/** `publish --json` `details` of a Python distribution (docs/architecture.md §6.1). */
export interface PythonPublishDetails {
  /** Every file uploaded (wheel first), with the sha256 the index must serve it with. */
  files: { filename: string; sha256: string }[];
}

export async function publishPython(ctx: LanguageContext<PythonConfig>, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome<PythonPublishDetails, 'python'>> {
  const cfg = ctx.section;
  // A dry run builds and reports; it needs no credentials.
  const env = opts.dryRun ? undefined : readEnv(PYTHON_PUBLISH_ENV, ctx.env, 'python publish');
  const interpreter = await findBuildInterpreter(cfg.interpreter, ctx.env);
  ctx.out.info(`python: building with ${interpreter}`);
  const packages: PublishedPackage<PythonPublishDetails>[] = [];
  for (const [i, pkg] of plan.packages.entries()) {
    const pc = cfg.packages[i]!;
    const project = await readPythonProject(ctx.root, pc.dir, pc.versionFile);
    opts.onStep?.('build', `wheel + sdist ${project.name} ${pkg.version}`);
    const stage = await stageProject(project, pkg.version);
    try {
      const dists = await buildDists(stage, project, { interpreter, buildCommand: cfg.buildCommand, sourceDateEpoch: Math.floor(Date.parse(plan.snapshot.time) / 1000) });
      const wheel = dists.find((d) => d.filetype === 'bdist_wheel')!;
      const meta = await wheelMetadata(wheel.path);
      if (meta.version !== pkg.version) throw failure(`built wheel ${wheel.filename} says Version: ${meta.version}, expected ${pkg.version}`);
      for (const d of dists) if (!d.filename.includes(pkg.version.replace('+', '+')) && !d.filename.includes(pkg.version)) throw failure(`built ${d.filename} does not carry version ${pkg.version}`);
      const digest = `sha256:${await sha256OfFile(wheel.path)}`;
      const files = await Promise.all(dists.map(async (d: BuiltDist) => ({ filename: d.filename, sha256: await sha256OfFile(d.path) })));
      if (!env) {
        // A dry run: built and checked, nothing sent.
        ctx.out.info(`python: would upload ${files.map((f) => f.filename).join(', ')}`);
        packages.push({ name: pkg.name, version: pkg.version, digest, status: 'dry-run', details: { files } });
        continue;
      }
      const statuses: string[] = [];
      // Wheel first: it is byte-reproducible (SOURCE_DATE_EPOCH); sdists built by setuptools
      // are not (gzip header time). On a re-run whose wheel is already served identically,
      // the sdist from the first run is kept rather than refused.
      const ordered = [...dists].sort((a, b) => (a.filetype === 'bdist_wheel' ? -1 : b.filetype === 'bdist_wheel' ? 1 : 0));
      let wheelAlreadyThere = false;
      for (const d of ordered) {
        opts.onStep?.('upload', d.filename);
        if (d.filetype === 'sdist' && wheelAlreadyThere && env?.PIP_INDEX_URL) {
          const served = await servedSha256(env.PIP_INDEX_URL, project.name, d.filename).catch(() => null);
          if (served) {
            const local = files.find((f) => f.filename === d.filename)!;
            if (served !== local.sha256) ctx.out.info(`python: ${d.filename} already published by an earlier run of this commit; keeping it (sdists are not byte-reproducible)`);
            local.sha256 = served;
            statuses.push('already-present');
            continue;
          }
        }
        const st = await uploadDist(
          {
            url: env.TWINE_REPOSITORY_URL,
            username: env.TWINE_USERNAME,
            password: env.TWINE_PASSWORD,
            name: project.name,
            version: pkg.version,
            metadata: meta,
            indexUrl: env.PIP_INDEX_URL,
            retry: { baseDelayMs: retryBaseDelayMs(ctx.env) },
          },
          d,
        );
        if (d.filetype === 'bdist_wheel') wheelAlreadyThere = st === 'already-present';
        statuses.push(st);
      }
      const status = statuses.every((s) => s === 'already-present') ? 'already-present' : 'published';
      ctx.out.info(`python: ${status} ${files.map((f) => f.filename).join(', ')}`);
      packages.push({ name: pkg.name, version: pkg.version, digest, status, details: { files } });
    } finally {
      await rm(join(stage, '..'), { recursive: true, force: true });
    }
  }
  // A dry run reports where it would have uploaded, if that is known.
  return { language: 'python', registry: env?.TWINE_REPOSITORY_URL ?? (ctx.env.TWINE_REPOSITORY_URL || DRY_RUN_REGISTRY), packages };
}
