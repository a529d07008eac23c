import * as z from 'zod/mini';

/**
 * `ameide-pkg.config.json`: the checked-in half of the configuration (the other half is
 * the environment, see env.ts). Architecture constants — state file names, ConfigMap names
 * and keys — live here, never in code, so a repo can rename them without a release.
 *
 * zod/mini rather than classic zod: every command validates the config, and classic zod
 * alone costs more start-up time than the whole `version` command is allowed.
 */

export const LANGUAGE_IDS = ['ts', 'python', 'go'] as const;
export type LanguageId = (typeof LANGUAGE_IDS)[number];

const pattern = (re: RegExp, what: string) => z.string().check(z.regex(re, `must be ${what}`));

const stateMapping = z.strictObject({
  file: pattern(/^[A-Za-z0-9._-]+\.json$/, 'a plain file name ending in .json'),
  configMap: pattern(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes object name'),
  key: pattern(/^[-._a-zA-Z0-9]+$/, 'a ConfigMap data key'),
});

export const DEFAULT_STATE = {
  ts: { file: 'ts.json', configMap: 'ts-packages-state', key: 'ts.json' },
  python: { file: 'python.json', configMap: 'python-packages-state', key: 'python.json' },
  go: { file: 'go.json', configMap: 'go-packages-state', key: 'ameide-sdk-go.json' },
} as const;

const distTag = pattern(/^[a-z][a-z0-9-]*$/, 'an npm dist-tag (lower-case, not a version)');

const relPath = z
  .string()
  .check(
    z.minLength(1),
    z.refine((p: string) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the repository'),
  );

export const TsConfigSchema = z.strictObject({
  /** Package directories or globs (`packages/*`); default: the root package.json workspaces. */
  packages: z.optional(z.array(relPath)),
  /** Only packages in this scope are published. */
  scope: z._default(pattern(/^@[a-z0-9-~][a-z0-9-._~]*$/, 'an npm scope like @ameide'), '@ameide'),
  distTag: z.optional(distTag),
});

export const PythonPackageSchema = z.strictObject({
  /** Directory holding pyproject.toml. */
  dir: relPath,
  /** File (relative to dir) that defines BASE_VERSION. */
  versionFile: relPath,
});

export const PythonConfigSchema = z.strictObject({
  packages: z.array(PythonPackageSchema).check(z.minLength(1)),
  /** false drops `+g<sha>` for indexes that reject PEP 440 local labels. */
  localVersion: z._default(z.boolean(), true),
  /** Interpreter with the `build` module; default: probe python3 candidates. */
  interpreter: z.optional(z.string()),
  /** Build command run in the staged package dir; `{python}` and `{outdir}` are substituted. */
  buildCommand: z.optional(z.array(z.string()).check(z.minLength(1))),
});

export const GoConfigSchema = z.strictObject({
  modules: z.array(z.strictObject({ dir: relPath })).check(z.minLength(1)),
  /** `pseudo`: v0.0.0-<ts>-<sha>. `tags`: Go's rules from the newest reachable vX.Y.Z tag. */
  goBase: z._default(z.enum(['pseudo', 'tags']), 'pseudo'),
});

export const ConfigSchema = z.strictObject({
  $schema: z.optional(z.string()),
  stateDir: z._default(relPath, 'tmp/tilt-packages'),
  timeSource: z.optional(z.enum(['commit', 'now'])),
  distTag: z._default(distTag, 'dev'),
  namespace: z.optional(pattern(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')),
  state: z._default(
    z.strictObject({
      ts: z._default(stateMapping, { ...DEFAULT_STATE.ts }),
      python: z._default(stateMapping, { ...DEFAULT_STATE.python }),
      go: z._default(stateMapping, { ...DEFAULT_STATE.go }),
    }),
    { ts: { ...DEFAULT_STATE.ts }, python: { ...DEFAULT_STATE.python }, go: { ...DEFAULT_STATE.go } },
  ),
  ts: z.optional(TsConfigSchema),
  python: z.optional(PythonConfigSchema),
  go: z.optional(GoConfigSchema),
});

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

export const CONFIG_FILE = 'ameide-pkg.config.json';
export const CONFIG_SCHEMA_FILE = 'schema/ameide-pkg.config.schema.json';
