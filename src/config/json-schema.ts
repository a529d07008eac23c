import * as z from 'zod/mini';

/** The JSON Schema editors use for ameide-pkg.config.json, derived from the zod schema. */
export function configJsonSchema(schema: z.ZodMiniType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return (
    JSON.stringify(
      { ...json, $id: 'https://ameide.io/schemas/ameide-pkg.config.schema.json', title: 'ameide-pkg configuration' },
      null,
      2,
    ) + '\n'
  );
}
