import * as z from 'zod/mini';
import { ConfigSchema } from './schema.js';

/** The JSON Schema editors use for ameide-pkg.config.json, derived from the zod schema. */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return (
    JSON.stringify(
      { ...schema, $id: 'https://ameide.io/schemas/ameide-pkg.config.schema.json', title: 'ameide-pkg configuration' },
      null,
      2,
    ) + '\n'
  );
}
