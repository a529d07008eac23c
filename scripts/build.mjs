// Bundle the CLI with esbuild. Start-up time is a product feature (Tilt runs `version` on
// every loop): a bundle avoids resolving hundreds of small files at import. Code splitting
// keeps the lazily imported command modules lazy; the heaviest dependencies stay external
// and are only loaded by the commands that need them.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __ameideRequire } from 'node:module'; const require = __ameideRequire(import.meta.url);" },
  external: ['verdaccio', '@kubernetes/client-node', 'undici', 'execa'],
  logLevel: 'warning',
});
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
