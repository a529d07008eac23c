import type * as z from 'zod/mini';
import { configSchema as buildConfigSchema, CONFIG_FILE, type Config } from '../config/schema.js';
import type { LanguageId, PublishOutcome } from '../model/packages.js';
import type { RecordRules } from '../model/record.js';
import { treatAsSecret } from '../util/child-env.js';
import { usageError } from '../util/errors.js';
import type { Output } from '../util/log.js';
import { goLanguage } from './go/index.js';
import { pythonLanguage } from './python/index.js';
import { tsLanguage } from './ts/index.js';
import type { FlagValues, Language, LanguageContext, LanguageFlag } from './types.js';

/**
 * THE table of ecosystems: one row per `src/languages/<id>/` folder, in the order commands
 * list and run them. Everything else derives from it — the `--lang` choices, the config
 * schema with each language's section and state defaults, the state record rules, help
 * texts. Adding an ecosystem is a folder and a row (docs/architecture.md §11).
 *
 * A row is the language's light descriptor; the code behind its steps loads lazily when a
 * step runs (see types.ts), so listing all rows costs start-up almost nothing.
 */
const BUILT_IN = [tsLanguage, pythonLanguage, goLanguage] as const;

const table: Language[] = [...BUILT_IN];

/** Children never see a language's secrets (util/child-env.ts). */
const registerSecrets = (l: Language) => treatAsSecret([...l.publishEnv, ...l.smokeEnv].filter((v) => v.secret).map((v) => v.name));
table.forEach(registerSecrets);

/**
 * `publish --json`'s per-language outcome, discriminated by `language`: each built-in
 * language's `details` shape (docs/architecture.md §6.1).
 */
type OutcomeOf<L> = L extends Language<infer _S, infer D, infer _F, infer Id> ? PublishOutcome<D, Id> : never;
export type BuiltInOutcome = OutcomeOf<(typeof BUILT_IN)[number]>;
export type { PublishOutcome };

export function languages(): readonly Language[] {
  return table;
}

export function languageIds(): LanguageId[] {
  return table.map((l) => l.id);
}

export function languageById(id: LanguageId): Language {
  const l = table.find((x) => x.id === id);
  if (!l) throw usageError(`unknown language "${id}" (one of ${languageIds().join(', ')})`);
  return l;
}

let memo: { schema?: z.ZodMiniType; rules?: RecordRules } = {};

/** The config schema: the shared keys plus every language's section and state defaults. */
export function configSchema(): z.ZodMiniType {
  return (memo.schema ??= buildConfigSchema(table.map((l) => ({ id: l.id, schema: l.config.schema, state: l.config.state }))));
}

/** Every language's state record rule, for the state layer (which does not know languages). */
export function recordRules(): RecordRules {
  return (memo.rules ??= table.map((l) => ({ language: l.id, ...l.record })));
}

/**
 * Add a row at run time. Only tests do this (the "fourth ecosystem in one folder" test);
 * the product's rows are the static ones above.
 */
export function registerLanguage(language: Language): () => void {
  table.push(language);
  registerSecrets(language);
  memo = {};
  return () => {
    table.splice(table.indexOf(language), 1);
    memo = {};
  };
}

/** The variables of every language's read path (GOPROXY, NPM_REGISTRY_URL, …), for help texts. */
export function readSideVariables(): string {
  return [...new Set(table.flatMap((l) => l.smokeEnv.filter((v) => v.required).map((v) => v.name)))].join(', ');
}

/** "TypeScript, Python and Go": the ecosystems, as help texts name them. */
export function ecosystemTitles(): string {
  const t = table.map((l) => l.title);
  return t.length > 1 ? `${t.slice(0, -1).join(', ')} and ${t.at(-1)}` : (t[0] ?? '');
}

/** Every language's flags for one command, once each (two languages may share one). */
export function uniqueFlags(flags: readonly LanguageFlag[]): LanguageFlag[] {
  return [...new Map(flags.map((f) => [f.flags, f])).values()];
}

/** The languages a config publishes, in table order. */
export function configuredLanguages(config: Config): Language[] {
  return table.filter((l) => config[l.id] !== undefined);
}

/** `--lang` → the languages to act on; `all` (or none) means every configured one. */
export function selectLanguages(config: Config, lang: string | undefined): Language[] {
  const configured = configuredLanguages(config);
  if (lang === undefined || lang === 'all') return configured;
  if (!table.some((l) => l.id === lang)) throw usageError(`--lang must be one of ${[...languageIds(), 'all'].join(', ')} (got "${lang}")`);
  const chosen = configured.find((l) => l.id === lang);
  if (!chosen) throw usageError(`--lang ${lang}: ${CONFIG_FILE} has no "${lang}" section`);
  return [chosen];
}

export interface BaseContext {
  root: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  out: Output;
}

/** A language's context: the base plus its own section (validated by the config schema). */
export function contextFor<S>(language: Language<S>, base: BaseContext): LanguageContext<S> {
  return { ...base, section: base.config[language.id] as S };
}

/** The values of a language's own flags, picked from a command's parsed options. */
export function pickFlags<K extends string>(flags: readonly LanguageFlag<K>[], options: Readonly<Record<string, unknown>>): FlagValues<K> {
  const out: Partial<Record<K, string | boolean>> = {};
  for (const f of flags) {
    const v = options[f.key];
    if (typeof v === 'string' || typeof v === 'boolean') out[f.key] = v;
  }
  return out;
}
