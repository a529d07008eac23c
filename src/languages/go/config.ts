import * as z from 'zod/mini';
import { relPath } from '../../config/schema.js';

/** The `"go"` section of ameide-pkg.config.json. */
export const GoConfigSchema = z.strictObject({
  modules: z.array(z.strictObject({ dir: relPath })).check(z.minLength(1)),
  /** `pseudo`: v0.0.0-<ts>-<sha>. `tags`: Go's rules from the newest reachable vX.Y.Z tag. */
  goBase: z._default(z.enum(['pseudo', 'tags']), 'pseudo'),
});

export type GoConfig = z.output<typeof GoConfigSchema>;
