import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, importsOf, importsOfFile, show, specifiers, tsFiles, under, type Import } from '../helpers/imports.js';

/**
 * The module map of docs/architecture.md §3, held by reading the sources:
 *  - bottom-level rule modules: src/gomod (Go's own rules) and src/pypa (Python packaging's)
 *    import only themselves, src/util and node:* (pypa: and npm packages); the publisher and
 *    the registry of an ecosystem share them and never reach into each other;
 *  - src/model is below everything: the state layer and the languages both use it, and
 *    neither imports the other; config knows no language;
 *  - each language's folder is the one place that knows its ecosystem: no language folder
 *    imports another, and no file outside them names a language id (the plug-in promise);
 *  - CLI command modules do not import each other (only main.ts lists them).
 */
type Rule = [dir: string, what: string, forbidden: (i: Import) => boolean];

const outside = (...dirs: string[]) => (i: Import) => i.target.startsWith('src/') && !dirs.some((d) => under(d)(i));
const LANGUAGE_DIRS = ['src/languages/ts', 'src/languages/python', 'src/languages/go'];
const COMMANDS = ['version', 'registry', 'publish', 'state', 'smoke', 'dev', 'doctor', 'gc', 'pin'].map((c) => `src/cli/${c}.ts`);

const RULES: Rule[] = [
  ['src/gomod', 'imports only src/gomod, src/util and node:*', (i) => !i.target.startsWith('node:') && !under('src/gomod')(i) && !under('src/util')(i)],
  ['src/pypa', 'imports only node:*, npm packages, src/util and itself', outside('src/pypa', 'src/util')],
  ['src/languages/go', 'does not import src/registry', under('src/registry')],
  ['src/registry/go', 'does not import src/languages', under('src/languages')],
  ['src/registry/python', 'does not import src/languages', under('src/languages')],
  ['src/languages/python', 'does not import src/registry', under('src/registry')],
  ['src/state', 'does not import src/languages (records are validated by rules the caller passes)', under('src/languages')],
  ['src/languages', 'does not import src/state (records reach languages as src/model types)', under('src/state')],
  ['src/model', 'imports only itself and snapshot types', outside('src/model', 'src/snapshot')],
  ['src/config', 'knows no language and no state', (i) => under('src/languages')(i) || under('src/state')(i)],
  ...LANGUAGE_DIRS.map((d): Rule => [d, 'imports no other language folder', (i) => LANGUAGE_DIRS.some((o) => o !== d && under(o)(i))]),
];

describe('import boundaries', () => {
  it('the scanner finds specifiers of every form', () => {
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

  for (const [dir, what, forbidden] of RULES) {
    it(`${dir} ${what}`, () => {
      const all = importsOf(dir);
      expect(all.length).toBeGreaterThan(0);
      expect(show(all.filter(forbidden))).toEqual([]);
    });
  }

  it('each rule fails when a forbidden import is added (one probe per rule)', () => {
    const probes: [string, string][] = [
      ['src/gomod', '../registry/http.js'],
      ['src/pypa', '../languages/python/version.js'],
      ['src/languages/go', '../../registry/go/upload.js'],
      ['src/registry/go', '../../languages/go/index.js'],
      ['src/registry/python', '../../languages/python/index.js'],
      ['src/languages/python', '../../registry/python/index.js'],
      ['src/state', '../languages/index.js'],
      ['src/languages', '../state/files.js'],
      ['src/model', '../config/schema.js'],
      ['src/config', '../languages/index.js'],
      ['src/languages/ts', '../go/index.js'],
      ['src/languages/python', '../ts/index.js'],
      ['src/languages/go', '../python/index.js'],
    ];
    for (const [dir, target] of probes) {
      const rules = RULES.filter((r) => r[0] === dir);
      const caught = rules.some(([, , forbidden]) => importsOfFile(`${dir}/probe.ts`, `import { x } from '${target}';`).some(forbidden));
      expect(caught, `${dir} → ${target}`).toBe(true);
    }
  });

  it('CLI command modules do not import each other (main.ts lists them)', () => {
    const imports = COMMANDS.flatMap((f) => importsOfFile(f));
    expect(show(imports.filter((i) => COMMANDS.some((c) => i.target === c.replace(/\.ts$/, '.js'))))).toEqual([]);
  });
});

describe('the ecosystem table is the only list of languages', () => {
  /** Code without comments: a comment may name a language, code may not. */
  const code = (file: string) =>
    readFileSync(join(ROOT, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  // Allowed: the languages' own folders, Go's rules, the table itself — and the servers, which
  // are named after what they serve (the Go module store's directory and metrics label
  // registry="go"/"python"): a new ecosystem brings its own registry, it does not edit these.
  const allowed = (f: string) =>
    LANGUAGE_DIRS.some((d) => f.startsWith(d + '/')) || f.startsWith('src/gomod/') || f === 'src/languages/index.ts' || f.startsWith('src/registry/') || f === 'src/dev/stack.ts';
  const ID = /(['"`])(ts|python|go)\1/g;
  const SECTION = /\b(config|cfg|section|state)\??\.(ts|python|go)\b/g;

  it('no language id is used as one in src/ outside its folder, Go rules and the table', () => {
    const hits = tsFiles('src')
      .filter((f) => !allowed(f))
      .flatMap((f) => [...code(f).matchAll(ID), ...code(f).matchAll(SECTION)].map((m) => `${f}: ${m[0]}`));
    expect(hits).toEqual([]);
  });

  it('the check sees an id in code but not in a comment', () => {
    expect("if (lang === 'go') x(); // 'ts'".replace(/(^|[^:'"`])\/\/.*$/gm, '$1').match(ID)).toEqual(["'go'"]);
    expect('const s = config.python?.interpreter;'.match(SECTION)).toEqual(['config.python']);
  });

  it('the Language interface has no untyped bags', () => {
    const types = readFileSync(join(ROOT, 'src/languages/types.ts'), 'utf8');
    const iface = types.slice(types.indexOf('export interface Language<'));
    expect(iface.length).toBeGreaterThan(1000);
    expect(iface).not.toMatch(/Record<string, unknown>|\bany\b/);
  });

  it('no file in src/ points at a design document outside the repository', () => {
    expect(tsFiles('src').filter((f) => /DESIGN\.md|\bseed\b/i.test(readFileSync(join(ROOT, f), 'utf8')))).toEqual([]);
  });
});
