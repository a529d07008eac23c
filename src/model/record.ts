import type { LanguageId } from './packages.js';

/**
 * The state record as the code sees it (docs/architecture.md §6): `tmp/tilt-packages/<file>`
 * and the ConfigMap value Helm/Tilt/CI read. The state layer owns its schema and validation
 * (state/schema.ts); the languages read records (smoke, pin, consumer installs) through this
 * type, so neither layer imports the other.
 */
export interface RecordedPackage {
  name: string;
  version: string;
  digest: string;
}

export interface StateRecord {
  schemaVersion: 1;
  language: LanguageId;
  version: string;
  timestamp: string;
  gitSha: string;
  publishedAt: string;
  registry: string;
  packages: RecordedPackage[];
}

/**
 * An ecosystem's rule for one (name, version) pair: null when the ecosystem's own client would
 * take the pair exactly as written, else a one-line reason. Records come from outside (a
 * ConfigMap, a checked-out file) and their names and versions end up in go.mod, package.json,
 * constraints.txt and on command lines, so every reader checks them first.
 */
export type PackageRule = (name: string, version: string) => string | null;

/** What the state layer needs to know of one language to validate its records. */
export interface RecordRule {
  language: LanguageId;
  /** The digest form the ecosystem uses, and how an error message names it ("an h1:"). */
  digest: { pattern: RegExp; description: string };
  checkPackage: PackageRule;
}

/** Every language's record rule, in table order (languages/index.ts builds it). */
export type RecordRules = readonly RecordRule[];
