import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { readEnv } from '../../config/env.js';
import { DRY_RUN_REGISTRY, type PublishOutcome, type PublishedPackage, type VersionPlan } from '../../model/packages.js';
import { failure } from '../../util/errors.js';
import type { LanguageContext, PublishOptions } from '../types.js';
import type { TsConfig } from './config.js';
import { TS_PUBLISH_ENV } from './env.js';
import { fetchPackument, npmSession, redact } from './npm.js';
import { rewriteManifest, stagePackage } from './stage.js';
import { discoverWorkspace } from './workspace.js';

/**
 * npm publish of every workspace package, dependencies first. Idempotent: a version already
 * on the registry with the same integrity is success; a different one is a failure. A
 * pre-existing `latest` is never moved to a snapshot.
 */
/** `publish --json` `details` of an npm package (docs/architecture.md §6.1). */
export interface TsPublishDetails {
  /** The packed tarball's file name. */
  tarball: string;
  /** Internal dependency ranges pinned to snapshot versions: `"dependencies.@x/y": "^1 → 1.0.1-dev…"`. */
  rewritten: Record<string, string>;
}

export async function publishTs(ctx: LanguageContext<TsConfig>, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome<TsPublishDetails, 'ts'>> {
  const { execa } = await import('execa');
  const cfg = ctx.section;
  const distTag = cfg.distTag ?? ctx.config.distTag;
  // A dry run packs and reports; it needs no credentials.
  const env = opts.dryRun ? undefined : readEnv(TS_PUBLISH_ENV, ctx.env, 'ts publish');
  // A dry run reports where it would have published, if that is known (no token is read).
  const registry = env?.NPM_REGISTRY_URL ?? (ctx.env.NPM_REGISTRY_URL || DRY_RUN_REGISTRY);
  const token = env?.NPM_TOKEN;
  const pkgs = await discoverWorkspace(ctx.root, cfg.scope, cfg.packages);
  const internal = new Map(plan.packages.map((p) => [p.name, p.version]));
  const session = await npmSession(registry, token);
  const packages: PublishedPackage<TsPublishDetails>[] = [];
  try {
    for (const pkg of pkgs) {
      const version = internal.get(pkg.name)!;
      if (semver.valid(version) !== version) throw failure(`${pkg.name}: ${version} is not a clean semver version; npm would rewrite it`);
      opts.onStep?.('build', `npm pack ${pkg.name}@${version}`);
      const { manifest, rewritten } = rewriteManifest(pkg.manifest, version, internal);
      const stage = await stagePackage(pkg.dir, manifest);
      try {
        const packed = await execa('npm', ['pack', '--json', '--pack-destination', join(stage, '..')], { cwd: stage, env: session.env, reject: false });
        if (packed.exitCode !== 0) throw failure(`npm pack of ${pkg.name} failed: ${redact(packed.stderr, [token]).trim().split('\n').slice(-3).join(' ')}`);
        const info = (JSON.parse(packed.stdout) as { filename: string; integrity: string }[])[0]!;
        const tarball = join(stage, '..', info.filename);
        const details: TsPublishDetails = { tarball: info.filename, rewritten };
        if (opts.dryRun) {
          ctx.out.info(`ts: would publish ${pkg.name}@${version} --tag ${distTag} (${info.integrity})`);
          packages.push({ name: pkg.name, version, digest: info.integrity, status: 'dry-run', details });
          continue;
        }
        opts.onStep?.('upload', `npm publish ${pkg.name}@${version} --tag ${distTag}`);
        let before;
        try {
          before = await fetchPackument(registry, pkg.name, token);
        } catch (err) {
          throw failure(`npm registry ${new URL(registry).origin} unreachable: ${(err as Error).message}`);
        }
        const existing = before?.versions?.[version];
        if (existing) {
          if (existing.dist?.integrity !== info.integrity) {
            throw failure(`${pkg.name}@${version} is already on the registry with different content (integrity ${existing.dist?.integrity}); versions are immutable`);
          }
          ctx.out.info(`ts: already present ${pkg.name}@${version}`);
          packages.push({ name: pkg.name, version, digest: info.integrity, status: 'already-present', details });
          continue;
        }
        const pub = await execa('npm', ['publish', tarball, '--tag', distTag, '--registry', registry], { cwd: stage, env: session.env, reject: false, all: true });
        if (pub.exitCode !== 0) {
          const why = redact(String(pub.all ?? ''), [token]).split('\n').filter((l) => /npm (error|ERR!)/.test(l)).slice(0, 4).join(' ') || 'see npm output';
          throw failure(`npm publish ${pkg.name}@${version} failed: ${why}`);
        }
        const oldLatest = before?.['dist-tags']?.latest;
        if (oldLatest) {
          const after = await fetchPackument(registry, pkg.name, token);
          if (after?.['dist-tags']?.latest !== oldLatest) {
            await execa('npm', ['dist-tag', 'add', `${pkg.name}@${oldLatest}`, 'latest', '--registry', registry], { env: session.env, reject: false });
          }
        }
        ctx.out.info(`ts: published ${pkg.name}@${version} --tag ${distTag}`);
        packages.push({ name: pkg.name, version, digest: info.integrity, status: 'published', details });
      } finally {
        await rm(join(stage, '..'), { recursive: true, force: true });
      }
    }
  } finally {
    await session.dispose();
  }
  return { language: 'ts', registry, packages };
}
