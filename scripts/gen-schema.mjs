// Regenerate schema/ameide-pkg.config.schema.json from the zod schema (test/unit/config.test.ts
// fails when the checked-in file is stale).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';

const out = await build({
  entryPoints: ['src/config/json-schema.ts'],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const mod = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
writeFileSync(new URL('../schema/ameide-pkg.config.schema.json', import.meta.url), mod.configJsonSchema());
console.log('wrote schema/ameide-pkg.config.schema.json');
