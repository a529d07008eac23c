// Bundle the CLI with esbuild. Start-up time is a product feature (Tilt runs `version` on
// every loop): a bundle avoids resolving hundreds of small files at import. Code splitting
// keeps the lazily imported command modules lazy; the heaviest dependencies stay external
// and are only loaded by the commands that need them.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';

// `ameide-pkg --version` and the registry's GET /version: injected here, so start-up reads no
// package.json (whose path differs between a checkout, an npm install and the image).
const { version, peerDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

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
  define: {
    __AMEIDE_PKG_VERSION__: JSON.stringify(version),
    // `dev` names the exact install command when its optional peer is missing.
    __AMEIDE_PKG_VERDACCIO_RANGE__: JSON.stringify(peerDependencies.verdaccio),
  },
  logLevel: 'warning',
});
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
