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
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

// `ameide-pkg --version` and the registry's GET /version: injected here, so start-up reads no
// package.json (whose path differs between a checkout, an npm install and the image).
const { version, peerDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  // CommonJS has no import.meta; the few sources that locate files next to themselves get the
  // bundle's own URL (dist/cli/ sits as deep below the package root as src/dev/ does).
  banner: { js: "const __ameideImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  external: ['verdaccio', '@kubernetes/client-node', 'undici', 'execa', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'prom-client'],
  define: {
    'import.meta.url': '__ameideImportMetaUrl',
    __AMEIDE_PKG_VERSION__: JSON.stringify(version),
    // `dev` names the exact install command when its optional peer is missing.
    __AMEIDE_PKG_VERDACCIO_RANGE__: JSON.stringify(peerDependencies.verdaccio),
  },
  logLevel: 'warning',
});
writeFileSync(new URL('../dist/package.json', import.meta.url), '{ "type": "commonjs" }\n');
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
