// Bundle the CLI with esbuild. Start-up time is a product feature (Tilt runs `version` on
// every loop): a bundle avoids resolving hundreds of small files at import. The heaviest
// dependencies stay external and are only loaded by the commands that need them.
//
// One CommonJS file, not ESM with code splitting: measured on `version --json`, Node 20's ESM
// loader (its own start-up plus resolve/link of ~20 shared chunks) cost ~40 ms of CPU more
// than requiring one file, and the lazily imported command modules stay cheap inside it —
// esbuild wraps each in a function that runs on its first import(), so V8 only pre-parses them.
// dist/package.json says "commonjs" so the bin keeps its .js name inside this ESM package.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cliBuildOptions } from './build-options.mjs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
// The CLI itself, and the small executable that runs it through a V8 code cache keyed by the
// bundle's content (src/cli/bin.ts says why).
await build(cliBuildOptions('src/cli/main.ts', 'dist/cli/app.js'));
// Node 20 drops a vm.Script's dynamic-import hook when the script comes from a code cache, so
// the bundle's `import("pkg")` calls (external packages and node: builtins; esbuild turned every
// internal one into a plain call) go through a function the executable defines, whose own
// import() is Node's. Every one is a string literal — checked, so none is missed.
const appUrl = new URL('../dist/cli/app.js', import.meta.url);
const app = readFileSync(appUrl, 'utf8');
const literal = /(?<![\w$.])import\("([^"\\]+)"\)/g;
const rewritten = app.replace(literal, '__ameideImport("$1")');
if (rewritten === app || /(?<![\w$.])import\(/.test(rewritten)) throw new Error('dist/cli/app.js: a dynamic import() the executable cannot route (see scripts/build.mjs)');
writeFileSync(appUrl, rewritten);
const bundleId = createHash('sha256').update(rewritten).digest('hex').slice(0, 16);
await build({
  entryPoints: ['src/cli/bin.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  define: { __AMEIDE_PKG_BUNDLE_ID__: JSON.stringify(bundleId) },
  logLevel: 'warning',
});
writeFileSync(new URL('../dist/package.json', import.meta.url), '{ "type": "commonjs" }\n');
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
