import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Import boundaries of the Python code (docs/architecture.md §3): the index (registry/python)
 * and the client (languages/python) share only src/pypa, which sits at the bottom.
 */
const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

/** Every module specifier a TypeScript source imports: static, `export … from`, dynamic. */
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|\bimport\s*['"]([^'"]+)['"]/g)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** `file`'s relative imports as paths from the repository root (`/src/registry/python/upload.js`); packages as they are. */
function resolvedImports(file: string, source = readFileSync(file, 'utf8')): string[] {
  return importsOf(source).map((s) => (s.startsWith('.') ? `/${relative(ROOT, resolve(dirname(file), s))}` : s));
}

/** The imports of the files under `dir` (below src/) that `allowed` refuses, as "file → import". */
function violations(dir: string, allowed: (target: string) => boolean, extra?: { file: string; source: string }): string[] {
  const files = tsFiles(join(SRC, dir)).map((f) => ({ file: f, source: readFileSync(f, 'utf8') }));
  if (extra) files.push(extra);
  return files.flatMap(({ file, source }) => resolvedImports(file, source).filter((t) => !allowed(t)).map((t) => `${relative(SRC, file)} → ${t}`));
}

const RULES: [string, string, (t: string) => boolean][] = [
  ['registry/python', 'never imports src/languages', (t) => !t.startsWith('/src/languages/')],
  ['languages/python', 'never imports src/registry', (t) => !t.startsWith('/src/registry/')],
  // Anything not starting with "/" is node:* or an npm package.
  ['pypa', 'imports only node:*, npm packages, src/util and itself', (t) => !t.startsWith('/') || t.startsWith('/src/util/') || t.startsWith('/src/pypa/')],
];

describe('Python import boundaries', () => {
  for (const [dir, what, allowed] of RULES) {
    it(`src/${dir} ${what}`, () => {
      expect(tsFiles(join(SRC, dir)).length).toBeGreaterThan(0);
      expect(violations(dir, allowed)).toEqual([]);
    });
  }

  it('the check sees every form of import (a forbidden one added to each folder fails it)', () => {
    const forms = (target: string) => [`import { x } from '${target}';`, `export { y } from "${target}";`, `const z = await import('${target}');`, `import '${target}';`, `import type {\n  T,\n} from '${target}';`];
    const cases: [string, string][] = [
      ['registry/python', '../../languages/python/version.js'],
      ['languages/python', '../../registry/python/filename.js'],
      ['pypa', '../registry/http.js'],
      ['pypa', '../languages/python/version.js'],
      ['pypa', '../../test/helpers/go.js'],
    ];
    for (const [dir, target] of cases) {
      const allowed = RULES.find((r) => r[0] === dir)![2];
      for (const source of forms(target)) {
        expect(violations(dir, allowed, { file: join(SRC, dir, 'added.ts'), source }), source).toHaveLength(1);
      }
    }
  });
});
