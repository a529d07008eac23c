#!/usr/bin/env node
/**
 * The `ameide-pkg` executable (dist/cli/main.js): runs the CLI bundle (dist/cli/app.js) through a
 * V8 code cache. Start-up is a product feature — Tilt runs `version` on every loop — and compiling
 * the bundle is the largest part of what `version --json` does beyond bare node (measured on
 * this machine: 1.76× → 1.43× of `node -e 0`; scripts/bench/startup.mjs). Node ≥ 22.1 has this
 * built in (`module.enableCompileCache`); on Node 20 it is `vm.Script` with `cachedData`.
 *
 * Rules:
 *  1. The cache is code, so it is only read from a directory this user owns and nobody else can
 *     write (`$XDG_CACHE_HOME/ameide-pkg` if that is absolute, else `~/.cache/ameide-pkg`; created
 *     0700). A missing cache home is created only inside a home this user owns (so `sudo` with the
 *     user's HOME never leaves root-owned directories behind).
 *  2. It is keyed by the bundle's build id, the command (./argv.ts), node's version and the
 *     architecture; V8 also rejects a cache that does not fit the source or its flags, and a
 *     rejected cache is rewritten. Per command, because a cache holds what the run that wrote it
 *     compiled: one written by `registry serve` (say, the first run after an install) left
 *     `version` compiling its own code on every run — 1.8× instead of 1.5× of `node -e 0`.
 *  3. It is written once, at exit (so it holds what this run compiled lazily too), via a temp
 *     file and rename: concurrent runs never see half a cache. Caches of other builds are removed
 *     then (and those of another node), so rebuilding a checkout does not pile them up: at most one
 *     per command is kept. So are temp files an hour old, which only a run killed mid-write leaves.
 *  4. Nothing about the cache can fail a command: any error only costs the compile it would
 *     have saved. AMEIDE_PKG_NO_COMPILE_CACHE=1 turns it off.
 * This file must stay small and import only node builtins and ./argv.ts (plain data and one pure
 * function, no imports): it runs before the cache helps.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { COMMAND_NAMES, invokedCommand } from './argv.js';

declare const __AMEIDE_PKG_BUNDLE_ID__: string;

const app = join(__dirname, 'app.js');
/** Age past which a cache temp file is a leftover of a killed run (rule 3): no run writes that long. */
const STALE_TEMP_MS = 3600_000;

/** The cache directory, if it is safe to use (rule 1). */
function cacheDir(): string | undefined {
  try {
    const mine = (p: string) => typeof process.getuid !== 'function' || statSync(p).uid === process.getuid();
    const xdg = process.env.XDG_CACHE_HOME;
    const home = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
    if (!existsSync(home)) {
      if (!mine(dirname(home))) return undefined;
      mkdirSync(home, { recursive: true, mode: 0o700 });
    }
    const dir = join(home, 'ameide-pkg');
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
    return mine(dir) && (statSync(dir).mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

function run(): void {
  // The bundle's dynamic imports (scripts/build.mjs routes them here): Node 20 loses a cached
  // vm.Script's own import() hook, and this file's import() is Node's, resolving from dist/cli/.
  (globalThis as { __ameideImport?: (id: string) => Promise<unknown> }).__ameideImport = (id) => import(id);
  const dir = process.env.AMEIDE_PKG_NO_COMPILE_CACHE === '1' ? undefined : cacheDir();
  const enable = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (!dir || enable) {
    if (dir && enable) enable(dir);
    createRequire(app)(app);
    return;
  }
  const command = invokedCommand(process.argv.slice(2), COMMAND_NAMES) ?? 'cli';
  const name = `${__AMEIDE_PKG_BUNDLE_ID__}-${command}-${process.version}-${process.arch}.v8cache`;
  const cacheFile = join(dir, name);
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch {
    /* first run */
  }
  const source = readFileSync(app, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: app,
    cachedData: cached,
  });
  if (!cached || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, cacheFile);
        const ours = (f: string) => f.startsWith(`${__AMEIDE_PKG_BUNDLE_ID__}-`) && f.endsWith(`-${process.version}-${process.arch}.v8cache`);
        // A temp file older than any run is a killed run's: a younger one may be another run's write.
        const stale = (f: string) => f.endsWith('.tmp') && Date.now() - statSync(join(dir, f)).mtimeMs > STALE_TEMP_MS;
        for (const f of readdirSync(dir)) if ((f.endsWith('.v8cache') && !ours(f)) || stale(f)) rmSync(join(dir, f), { force: true });
      } catch {
        // Rule 4: a failed write only costs the next run its compile.
        try {
          rmSync(tmp, { force: true });
        } catch {
          /* nothing more to do */
        }
      }
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(app), module, app, dirname(app));
}

run();
