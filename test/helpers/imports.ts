import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The import graph of src/, read from the sources for the boundary tests
 * (test/unit/import-boundaries.test.ts). Every specifier counts: static import/export … from,
 * side-effect imports, `import type`, dynamic import('…') and require('…').
 */
export const ROOT = resolve(import.meta.dirname, '../..');

// Side-effect imports only at the start of a line: `'import' | 'file'` in a union type is not one.
const SPECIFIER = /\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import specifier in `source`. */
export function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

/** The .ts files under `dir` (repository-relative), recursively. */
export function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(ROOT, join(d.parentPath, d.name)));
}

export interface Import {
  file: string;
  spec: string;
  /** Repository-relative target for relative specifiers (`src/state/files.js`); the bare specifier otherwise. */
  target: string;
}

/** The imports of one file, given its repository-relative path and (optionally) its text. */
export function importsOfFile(file: string, source = readFileSync(join(ROOT, file), 'utf8')): Import[] {
  return specifiers(source).map((spec) => ({ file, spec, target: spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec }));
}

/** The imports of every file under `dir`. */
export function importsOf(dir: string): Import[] {
  return tsFiles(dir).flatMap((file) => importsOfFile(file));
}

/** Does the import point into `dir` (repository-relative)? */
export const under = (dir: string) => (i: Import) => i.target === dir || i.target.startsWith(dir + '/');
export const show = (xs: Import[]) => xs.map((i) => `${i.file} imports ${i.spec}`);
