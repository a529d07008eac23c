import * as z from 'zod/mini';
import { distTag, pattern, relPath } from '../../config/schema.js';

/** The `"ts"` section of ameide-pkg.config.json. */
export const TsConfigSchema = z.strictObject({
  /** Package directories or globs (`packages/*`); default: the root package.json workspaces. */
  packages: z.optional(z.array(relPath)),
  /** Only packages in this scope are published. */
  scope: z._default(pattern(/^@[a-z0-9-~][a-z0-9-._~]*$/, 'an npm scope like @ameide'), '@ameide'),
  distTag: z.optional(distTag),
});

export type TsConfig = z.output<typeof TsConfigSchema>;
