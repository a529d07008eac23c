import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import direction of the Go code (docs/architecture.md §3), read from the sources:
 *  - src/gomod (Go's own rules) is bottom-level: it imports only itself, src/util and node:*;
 *  - the publisher (src/languages/go) and the registry (src/registry/go) share Go's rules
 *    through src/gomod and never reach into each other.
 * Every specifier counts: static import/export … from, side-effect imports, `import type`,
 * dynamic import('…') and require('…').
 */
const ROOT = resolve(import.meta.dirname, '../..');

// Side-effect imports only at the start of a line: `'import' | 'file'` in a union type is not one.
const SPECIFIER = /\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import specifier in `source`. */
function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(ROOT, join(d.parentPath, d.name)));
}

interface Import {
  file: string;
  spec: string;
  /** Repository-relative target for relative specifiers; the bare specifier otherwise. */
  target: string;
}

function importsOf(dir: string): Import[] {
  return tsFiles(dir).flatMap((file) =>
    specifiers(readFileSync(join(ROOT, file), 'utf8')).map((spec) => ({
      file,
      spec,
      target: spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec,
    })),
  );
}

const under = (dir: string) => (i: Import) => i.target === dir || i.target.startsWith(dir + '/');
const show = (xs: Import[]) => xs.map((i) => `${i.file} imports ${i.spec}`);

describe('Go code boundaries', () => {
  it('finds specifiers of every form', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      "import './e.js';",
      "const f = await import('../f.js');",
      "const { g } = await import(\n  '../g.js'\n);",
      "const h = require('node:h');",
      'import {\n  i,\n  j,\n} from "./ij.js";',
      "type Kind = 'module' | 'import' | 'file';",
    ].join('\n');
    expect(specifiers(src)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', '../f.js', '../g.js', 'node:h', './ij.js']);
  });

  it('src/gomod imports only src/gomod, src/util and node:*', () => {
    const all = importsOf('src/gomod');
    expect(all.length).toBeGreaterThan(20);
    const outside = all.filter((i) => !i.target.startsWith('node:') && !under('src/gomod')(i) && !under('src/util')(i));
    expect(show(outside)).toEqual([]);
  });

  it('src/languages/go does not import src/registry', () => {
    const all = importsOf('src/languages/go');
    expect(all.some(under('src/gomod'))).toBe(true);
    expect(show(all.filter(under('src/registry')))).toEqual([]);
  });

  it('src/registry/go does not import src/languages', () => {
    const all = importsOf('src/registry/go');
    expect(all.some(under('src/gomod'))).toBe(true);
    expect(show(all.filter(under('src/languages')))).toEqual([]);
  });
});
