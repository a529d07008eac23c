// The esbuild options of the CLI bundle (scripts/build.mjs). Shared with the test that builds
// the CLI with one extra ecosystem row (test/e2e/fourth-ecosystem.test.ts), so that test runs
// the very bundle users get, plus its row.
import { readFileSync } from 'node:fs';

// `ameide-pkg --version` and the registry's GET /version: injected here, so start-up reads no
// package.json (whose path differs between a checkout, an npm install and the image).
const { version, peerDependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** @param {string} entry @param {string} outfile @returns {import('esbuild').BuildOptions} */
export function cliBuildOptions(entry, outfile) {
  return {
    entryPoints: [entry],
    outfile,
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
  };
}
