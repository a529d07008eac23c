import * as z from 'zod/mini';
import { relPath } from '../../config/schema.js';

export const PythonPackageSchema = z.strictObject({
  /** Directory holding pyproject.toml. */
  dir: relPath,
  /** File (relative to dir) that defines BASE_VERSION. */
  versionFile: relPath,
});

/** The `"python"` section of ameide-pkg.config.json. */
export const PythonConfigSchema = z.strictObject({
  packages: z.array(PythonPackageSchema).check(z.minLength(1)),
  /** false drops `+g<sha>` for indexes that reject PEP 440 local labels. */
  localVersion: z._default(z.boolean(), true),
  /** Interpreter with the `build` module; default: probe python3 candidates. */
  interpreter: z.optional(z.string()),
  /** Build command run in the staged package dir; `{python}` and `{outdir}` are substituted. */
  buildCommand: z.optional(z.array(z.string()).check(z.minLength(1))),
});

export type PythonConfig = z.output<typeof PythonConfigSchema>;
