// Regenerate schema/ameide-pkg.config.schema.json from the zod schema the ecosystem table
// builds (test/unit/config.test.ts fails when the checked-in file is stale).
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = await build({
  stdin: {
    contents: "import { configJsonSchema } from './src/config/json-schema.ts'; import { configSchema } from './src/languages/index.ts'; export const text = configJsonSchema(configSchema());",
    resolveDir: fileURLToPath(new URL('..', import.meta.url)),
    loader: 'ts',
  },
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  logLevel: 'warning',
});
// Next to this script, so the bundle's external packages resolve from node_modules.
const tmp = new URL('./.gen-schema.tmp.mjs', import.meta.url);
writeFileSync(tmp, out.outputFiles[0].text);
try {
  const mod = await import(tmp.href);
  writeFileSync(new URL('../schema/ameide-pkg.config.schema.json', import.meta.url), mod.text);
} finally {
  rmSync(tmp, { force: true });
}
console.log('wrote schema/ameide-pkg.config.schema.json');
