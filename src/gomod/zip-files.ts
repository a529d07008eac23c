import { lstatSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collisionChecker } from './fold.js';
import { goVersionAtLeast, parseGoMod } from './modfile.js';
import { MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE } from './limits.js';
import { checkFilePath } from './module-path.js';
import { uncleanPathError } from './path-clean.js';
import { sortUtf8 } from './utf8-order.js';

/**
 * Which files of a module directory go into its module zip — a port of
 * golang.org/x/mod/zip (listFilesInDir + checkFiles, current rules). Invariants:
 *
 *  - Omitted (silently, as `go` does): .bzr/.git/.hg/.svn directories; directories holding
 *    their own go.mod (nested modules) and files in directories with any-case go.mod;
 *    vendored packages (isVendoredPackage); the root .hg_archival.txt; symlinks and other
 *    irregular files.
 *  - For go directive >= 1.24 (read from the root go.mod), `vendor/modules.txt` is omitted too
 *    and the `/vendor/` offset bug (golang.org/issue/37397) is fixed; below 1.24 the old
 *    behaviour is kept so old checksums stay valid.
 *  - Invalid (the whole module is refused, nothing is uploaded): unclean paths, names
 *    outside Go's allowed characters, case-fold collisions, go.mod in another case, and
 *    the size limits (500 MiB total, 16 MiB go.mod and LICENSE).
 */
export interface ModuleFile {
  /** Slash-separated path relative to the module root. */
  path: string;
  /** Absolute path on disk. */
  abs: string;
  size: number;
}

export interface FileSelection {
  valid: ModuleFile[];
  omitted: { path: string; reason: string }[];
  invalid: { path: string; reason: string }[];
  sizeError?: string;
  goVersion: string;
}

/** x/mod isVendoredPackage(name, vers). Pure. */
export function isVendoredPackage(name: string, goVersion: string): boolean {
  const modern = goVersionAtLeast(goVersion, 1, 24);
  if (modern && name === 'vendor/modules.txt') return true;
  let i: number;
  if (name.startsWith('vendor/')) i = 'vendor/'.length;
  else {
    const j = name.indexOf('/vendor/');
    if (j < 0) return false;
    i = modern ? j + '/vendor/'.length : '/vendor/'.length;
  }
  return name.slice(i).includes('/');
}

interface Listed {
  path: string;
  abs: string;
  kind: 'file' | 'other';
  size: number;
}

/**
 * filepath.Walk in lexical order with x/mod's listFilesInDir pruning. Synchronous on purpose:
 * one lstat per file is a few microseconds as a plain syscall, but tens as a promise through
 * libuv's thread pool — profiled at 1.3 s of CPU for 20k files, a third of Go's whole
 * CreateFromDir. A walk has nothing to overlap with, so the event loop loses nothing real.
 */
function listFilesInDir(dir: string, goVersion: string): { files: Listed[]; omitted: { path: string; reason: string }[] } {
  const files: Listed[] = [];
  const omitted: { path: string; reason: string }[] = [];
  const walk = (absDir: string, rel: string): void => {
    const entries = sortUtf8(readdirSync(absDir, { withFileTypes: true }), (d) => d.name);
    for (const d of entries) {
      const name = d.name;
      const abs = join(absDir, name);
      const slash = rel ? `${rel}/${name}` : name;
      if (isVendoredPackage(slash, goVersion)) {
        omitted.push({ path: slash, reason: 'file is in vendor directory' });
        continue;
      }
      // Dirent types come from the same lstat-like d_type (Node lstats itself when the file
      // system does not report one), so symlinks are never followed, as in filepath.Walk.
      if (d.isDirectory()) {
        if (['.bzr', '.git', '.hg', '.svn'].includes(name)) {
          omitted.push({ path: slash, reason: 'directory is a version control repository' });
          continue;
        }
        const gm = lstatSync(join(abs, 'go.mod'), { throwIfNoEntry: false });
        if (gm && !gm.isDirectory()) {
          omitted.push({ path: slash, reason: 'directory is in another module' });
          continue;
        }
        walk(abs, slash);
        continue;
      }
      if (!d.isFile()) {
        omitted.push({ path: slash, reason: 'file is not a regular file' });
        continue;
      }
      const st = lstatSync(abs);
      if (!st.isFile()) {
        // Replaced between readdir and lstat: judge it by what it is now, as Walk would.
        if (st.isDirectory()) throw new Error(`${abs} changed from a file to a directory while listing the module`);
        omitted.push({ path: slash, reason: 'file is not a regular file' });
        continue;
      }
      files.push({ path: slash, abs, kind: 'file', size: st.size });
    }
  };
  walk(dir, '');
  return { files, omitted };
}

/** x/mod checkFiles over the listed files. Pure given the listing. */
export function checkFiles(files: Listed[], goVersion: string): Omit<FileSelection, 'goVersion'> {
  const valid: ModuleFile[] = [];
  const omitted: { path: string; reason: string }[] = [];
  const invalid: { path: string; reason: string }[] = [];
  const seenErr = new Set<string>();
  const add = (list: typeof omitted, path: string, reason: string) => {
    if (seenErr.has(path)) return;
    seenErr.add(path);
    list.push({ path, reason });
  };
  const haveGoMod = new Set<string>();
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    const dir = slash >= 0 ? f.path.slice(0, slash + 1) : '';
    const base = f.path.slice(slash + 1);
    if (base.toLowerCase() === 'go.mod' && f.kind === 'file') haveGoMod.add(dir);
  }
  const inSubmodule = (p: string) => {
    for (;;) {
      const i = p.lastIndexOf('/');
      if (i < 0) return false;
      const dir = p.slice(0, i + 1);
      if (haveGoMod.has(dir)) return true;
      p = p.slice(0, i);
    }
  };
  const collide = collisionChecker();
  let remaining = MAX_ZIP_FILE;
  let sizeError: string | undefined;
  for (const f of files) {
    const p = f.path;
    const unclean = uncleanPathError(p);
    if (unclean) {
      add(invalid, p, unclean);
      continue;
    }
    if (isVendoredPackage(p, goVersion)) {
      add(omitted, p, 'file is in vendor directory');
      continue;
    }
    if (inSubmodule(p)) {
      add(omitted, p, 'file is in another module');
      continue;
    }
    if (p === '.hg_archival.txt') {
      add(omitted, p, "file is inserted by 'hg archive' and is always omitted");
      continue;
    }
    const bad = checkFilePath(p);
    if (bad) {
      add(invalid, p, `malformed file path "${p}": ${bad}`);
      continue;
    }
    if (p.toLowerCase() === 'go.mod' && p !== 'go.mod') {
      add(invalid, p, 'go.mod files must be named "go.mod" (lower case)');
      continue;
    }
    const c = collide(p, false);
    if (c) {
      add(invalid, p, c);
      continue;
    }
    if (f.kind !== 'file') {
      add(omitted, p, 'file is not a regular file');
      continue;
    }
    if (f.size <= remaining) remaining -= f.size;
    else sizeError ??= `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`;
    if (p === 'go.mod' && f.size > MAX_GO_MOD) {
      add(invalid, p, `go.mod file too large (max size is ${MAX_GO_MOD} bytes)`);
      continue;
    }
    if (p === 'LICENSE' && f.size > MAX_LICENSE) {
      add(invalid, p, `LICENSE file too large (max size is ${MAX_LICENSE} bytes)`);
      continue;
    }
    valid.push({ path: p, abs: f.abs, size: f.size });
  }
  return { valid, omitted, invalid, sizeError };
}

export async function selectModuleFiles(dir: string): Promise<FileSelection> {
  const goMod = await readFile(join(dir, 'go.mod'), 'utf8').catch(() => '');
  const goVersion = parseGoMod(goMod).goVersion;
  const listed = listFilesInDir(dir, goVersion);
  const checked = checkFiles(listed.files, goVersion);
  return { ...checked, omitted: [...listed.omitted, ...checked.omitted], goVersion };
}
