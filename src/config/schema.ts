import * as z from 'zod/mini';
import type { LanguageId } from '../model/packages.js';

/**
 * `ameide-pkg.config.json`: the checked-in half of the configuration (the other half is
 * the environment, see env.ts). Architecture constants — state file names, ConfigMap names
 * and keys — live here, never in code, so a repo can rename them without a release.
 *
 * This file holds the part every language shares. Each language brings its own section
 * (`"ts": {…}`, `"go": {…}`) and its state defaults; `configSchema` puts them together in
 * table order (languages/index.ts), so a new language adds its section without an edit here.
 *
 * zod/mini rather than classic zod: every command validates the config, and classic zod
 * alone costs more start-up time than the whole `version` command is allowed.
 */

export const pattern = (re: RegExp, what: string) => z.string().check(z.regex(re, `must be ${what}`));

/** Where one language's state record lives: its local file and its ConfigMap key. */
export interface StateMapping {
  file: string;
  configMap: string;
  key: string;
}

const stateMappingSchema = z.strictObject({
  file: pattern(/^[A-Za-z0-9._-]+\.json$/, 'a plain file name ending in .json'),
  configMap: pattern(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a Kubernetes object name'),
  key: pattern(/^[-._a-zA-Z0-9]+$/, 'a ConfigMap data key'),
});

export const distTag = pattern(/^[a-z][a-z0-9-]*$/, 'an npm dist-tag (lower-case, not a version)');

/** A path inside the repository: relative, never through "..". */
export const relPath = z
  .string()
  .check(
    z.minLength(1),
    z.refine((p: string) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the repository'),
  );

/** What a language contributes to the config: its section's schema and its state defaults. */
export interface ConfigSection {
  id: LanguageId;
  schema: z.ZodMiniType;
  state: StateMapping;
}

/** The whole config schema for these languages (table order is the key order). */
export function configSchema(sections: readonly ConfigSection[]) {
  const defaults = () => Object.fromEntries(sections.map((s) => [s.id, { ...s.state }]));
  return z.strictObject({
    $schema: z.optional(z.string()),
    stateDir: z._default(relPath, 'tmp/tilt-packages'),
    timeSource: z.optional(z.enum(['commit', 'now'])),
    distTag: z._default(distTag, 'dev'),
    namespace: z.optional(pattern(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Kubernetes namespace name')),
    state: z._default(z.strictObject(Object.fromEntries(sections.map((s) => [s.id, z._default(stateMappingSchema, { ...s.state })]))), defaults()),
    ...Object.fromEntries(sections.map((s) => [s.id, z.optional(s.schema)])),
  });
}

/**
 * A parsed config. The shared keys are typed here; each language's section is reached only
 * through that language (it is `LanguageContext.section`, typed by the language's own schema).
 */
export interface Config {
  $schema?: string;
  stateDir: string;
  timeSource?: 'commit' | 'now';
  /**
   * npm dist-tag snapshots are published under (the ts section may override it). npm's alone,
   * but a top-level key since the first config format: kept here so existing files stay valid.
   */
  distTag: string;
  namespace?: string;
  state: Readonly<Record<LanguageId, StateMapping>>;
  readonly [section: string]: unknown;
}

/** Where a language's record lives (the schema gives every table language a mapping). */
export function stateMapping(config: Config, language: LanguageId): StateMapping {
  const m = config.state[language];
  if (!m) throw new Error(`internal: no state mapping for language "${language}"`);
  return m;
}

export const CONFIG_FILE = 'ameide-pkg.config.json';
export const CONFIG_SCHEMA_FILE = 'schema/ameide-pkg.config.schema.json';
