import type { Command } from 'commander';
import type { ModuleStore } from '../registry/go/backend.js';
import { usageError } from '../util/errors.js';

/**
 * The Go module storage flags shared by `registry serve`, `gc` and `dev`: a directory or
 * s3://BUCKET[/PREFIX]. For S3 the SDK's standard chain supplies endpoint, region and
 * credentials (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, web identity); the SDK is loaded only when s3:// is used.
 */
export interface StorageFlags {
  s3PathStyle?: boolean;
  s3SingleWriter?: boolean;
  goproxyRoot?: string;
  /** Milliseconds (gc --orphan-grace). */
  orphanGraceMs?: number;
}

export function addS3Options(cmd: Command): Command {
  return cmd
    .option('--s3-path-style', 'S3: path-style addressing (MinIO, Ceph and other S3-compatible endpoints)')
    .option('--s3-single-writer', 'S3: accept an endpoint without conditional writes (If-None-Match); only ONE process may then write to the bucket');
}

export async function openStore(spec: string, flags: StorageFlags, resolveDir: (p: string) => string, log?: (line: string) => void): Promise<ModuleStore> {
  const { openModuleStore, parseStorageSpec } = await import('../registry/go/backend.js');
  const parsed = parseStorageSpec(spec, resolveDir);
  if (parsed.kind === 's3' && flags.goproxyRoot) throw usageError('--goproxy-root applies to a storage directory, not to s3:// (the bucket holds one layout)');
  if (parsed.kind === 'disk' && flags.goproxyRoot) parsed.proxyRoot = resolveDir(flags.goproxyRoot);
  if (parsed.kind === 'disk' && (flags.s3PathStyle || flags.s3SingleWriter)) throw usageError('--s3-path-style and --s3-single-writer need --storage s3://BUCKET[/PREFIX]');
  return openModuleStore(parsed, { pathStyle: flags.s3PathStyle, singleWriter: flags.s3SingleWriter, orphanGraceMs: flags.orphanGraceMs, log });
}
