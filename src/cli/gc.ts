import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { EXIT, usageError } from '../util/errors.js';
import { formatBytes, table } from '../util/log.js';
import { action, commandContext } from './context.js';
import { addS3Options, openStore, type StorageFlags } from './storage-options.js';
import { MODULE_STORE_LANGUAGE } from '../registry/go/language.js';

interface GcFlags extends StorageFlags {
  orphanGrace?: string;
  lang: string;
  storage: string;
  keep: string;
  olderThan?: string;
  keepFile: string[];
  includeTags?: boolean;
  module: string[];
  dryRun?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** gc collects the one storage ameide-pkg's own server keeps: Go modules (registry/go). */
const GC_LANGUAGE = MODULE_STORE_LANGUAGE;

/** module → versions named by state records (files or dumped ConfigMap values). */
async function pinnedFrom(files: string[]): Promise<Map<string, Set<string>>> {
  const { parseState } = await import('../state/files.js');
  const { recordRules } = await import('../languages/index.js');
  const pinned = new Map<string, Set<string>>();
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch((err: Error) => {
      throw usageError(`--keep-file ${f}: ${err.message}`);
    });
    const parsed = parseState(text, recordRules());
    if (!parsed.ok) throw usageError(`--keep-file ${f} is ${parsed.reason}; refusing to collect garbage without knowing what is pinned`);
    for (const p of parsed.record.packages) {
      const set = pinned.get(p.name) ?? new Set<string>();
      set.add(p.version);
      pinned.set(p.name, set);
    }
  }
  return pinned;
}

/**
 * A --module names a directory under the storage root that gc deletes from: it must be a Go
 * module path (no "..", no leading "/", nothing x/mod refuses) and, resolved, stay inside the
 * root — also through symbolic links already on disk.
 */
async function confinedModule(root: string, module: string): Promise<string> {
  const { checkModulePath } = await import('../gomod/module-path.js');
  const bad = checkModulePath(module);
  if (bad) throw usageError(`--module ${JSON.stringify(module)} is not a valid Go module path (${bad})`);
  const { realpath } = await import('node:fs/promises');
  const real = async (p: string) => realpath(p).catch(() => p);
  const [base, dir] = await Promise.all([real(root), real(resolve(root, module))]);
  const rel = relative(base, dir);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw usageError(`--module ${JSON.stringify(module)} resolves outside the storage root ${root}`);
  return module;
}

export function registerGc(program: Command): void {
  const gc = program
    .command('gc')
    .description('remove old Go pseudo-versions from the registry storage (both layouts, under the uploader\'s lock)')
    .option('--lang <lang>', 'language whose registry storage to collect (the Go modules `registry serve` keeps)', GC_LANGUAGE)
    .requiredOption('--storage <dir|s3://bucket[/prefix]>', 'registry storage (as given to `registry serve --storage`)')
    .option('--goproxy-root <dir>', 'the GOPROXY @v tree, when `registry serve` keeps it outside the storage root')
    .option('--orphan-grace <age>', 'S3: remove .zip/.mod left without a .info by crashed uploads once older than this', '1h')
    .option('--keep <n>', 'newest pseudo-versions to keep per module', '20')
    .option('--older-than <age>', 'only remove versions published before this age (e.g. 30d, 12h, 2w)')
    .option('--keep-file <file>', 'state record (file or dumped ConfigMap value) whose versions are never removed; repeatable', collect, [])
    .option('--module <path>', 'only this module; repeatable (default: every module in storage)', collect, [])
    .option('--include-tags', 'also consider tagged (non-pseudo) versions')
    .option('--dry-run', 'print what would be removed; remove nothing');
  addS3Options(gc)
    .addHelpText('after', '\nSafe while `registry serve` runs on the same storage: on disk each module is planned and pruned under the lock uploads take; on S3 versions leave .info first and an upload racing the removal keeps its version whole.')
    .action(
      action(async (opts: GcFlags, command: Command) => {
        const ctx = commandContext(command);
        if (opts.lang !== GC_LANGUAGE) throw usageError(`gc --lang ${opts.lang}: only ${GC_LANGUAGE} is supported (npm and Python registries have their own retention)`);
        const keep = Number(opts.keep);
        if (!Number.isInteger(keep) || keep < 0) throw usageError(`--keep must be a non-negative integer (got "${opts.keep}")`);
        const { parseDuration } = await import('../registry/go/gc.js');
        let olderThan: number | undefined;
        if (opts.olderThan !== undefined) {
          const ms = parseDuration(opts.olderThan);
          if (ms === null) throw usageError(`--older-than must look like 30d, 12h, 90m or 2w (got "${opts.olderThan}")`);
          olderThan = Date.now() - ms;
        }
        const pinned = await pinnedFrom(opts.keepFile.map((f) => resolve(ctx.root, f)));
        const orphanGraceMs = parseDuration(opts.orphanGrace ?? '1h');
        if (orphanGraceMs === null) throw usageError(`--orphan-grace must look like 1h, 30m or 2d (got "${opts.orphanGrace}")`);
        let modules: string[];
        if (/^s3:\/\//i.test(opts.storage)) {
          // Object keys, not directories: a valid module path is all a --module needs to be.
          const { checkModulePath } = await import('../gomod/module-path.js');
          for (const m of opts.module) {
            const bad = checkModulePath(m);
            if (bad) throw usageError(`--module ${JSON.stringify(m)} is not a valid Go module path (${bad})`);
          }
          modules = opts.module;
        } else {
          const { existsSync } = await import('node:fs');
          const root = resolve(ctx.root, opts.storage);
          if (!existsSync(root)) throw usageError(`--storage ${opts.storage} does not exist`);
          modules = await Promise.all(opts.module.map((m) => confinedModule(root, m)));
        }
        const store = await openStore(opts.storage, { ...opts, orphanGraceMs }, (p) => resolve(ctx.root, p), (line) => ctx.out.info(line));
        const { collectGarbageIn } = await import('../registry/go/gc-store.js');
        const dryRun = Boolean(opts.dryRun);
        const reports = await collectGarbageIn(store, {
          keep,
          olderThan,
          includeTags: Boolean(opts.includeTags),
          pinned,
          dryRun,
          modules: modules.length ? modules : undefined,
          onModule: (r) => {
            for (const v of r.removed) ctx.out.info(`${dryRun ? 'would remove' : 'removed'} ${r.module}@${v.version} (${formatBytes(v.bytes)})`);
          },
        });
        const removed = reports.reduce((n, r) => n + r.removed.length, 0);
        const freed = reports.reduce((n, r) => n + r.bytesFreed, 0);
        if (ctx.json) {
          ctx.out.json({ ok: true, dryRun, removed, bytesFreed: freed, modules: reports });
        } else {
          ctx.out.print(
            table(
              ['MODULE', 'KEPT', 'REMOVED', 'FREED'],
              reports.map((r) => [r.module, String(r.kept.length), String(r.removed.length), formatBytes(r.bytesFreed)]),
            ),
          );
          ctx.out.print(`${dryRun ? 'would remove' : 'removed'} ${removed} version${removed === 1 ? '' : 's'}, ${dryRun ? 'would free' : 'freed'} ${formatBytes(freed)}`);
        }
        return EXIT.ok;
      }),
    );
}
