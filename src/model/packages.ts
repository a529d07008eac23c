import type { Snapshot } from '../snapshot/resolve.js';

/**
 * The ecosystem-neutral shapes a run passes between its steps (docs/architecture.md §2):
 * what a language plans, what it published, what smoke found. Every layer may use them —
 * the state layer, the publish pipeline, the languages — so they live here, below all of
 * them, and know no ecosystem.
 */

/** A row of the ecosystem table (`ts`, `python`, `go`, …); the table is the one list of them. */
export type LanguageId = string;

export interface PlannedPackage {
  /** npm package name, Python distribution name (as in pyproject), or Go module path. */
  name: string;
  version: string;
  /** Package directory, absolute. */
  dir: string;
  /** The base the snapshot was computed from, or "override". */
  base: string;
}

export interface VersionPlan {
  language: LanguageId;
  snapshot: Snapshot;
  packages: PlannedPackage[];
  /** Set when an AMEIDE_*_SDK_VERSION override decided the versions. */
  override?: string;
}

/** The `registry` of a dry run's outcome: nothing was sent anywhere. */
export const DRY_RUN_REGISTRY = 'http://dry-run.invalid';

/** "published", "already-present" (an idempotent re-run), or "dry-run". */
export type PublishStatus = 'published' | 'already-present' | 'dry-run';

/**
 * One package as published. `details` is the language's own record of what it built (file
 * counts, sizes, rewritten dependencies): part of `publish --json`, typed per language
 * (docs/architecture.md §6.1 lists each language's shape).
 */
export interface PublishedPackage<Details = unknown> {
  name: string;
  version: string;
  /** The ecosystem's own digest: Go `h1:`, npm `integrity`, Python `sha256:`. */
  digest: string;
  status: PublishStatus;
  details?: Details;
}

export interface PublishOutcome<Details = unknown, Id extends LanguageId = LanguageId> {
  language: Id;
  registry: string;
  packages: PublishedPackage<Details>[];
}

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface SmokeReport {
  language: LanguageId;
  ok: boolean;
  checks: SmokeCheck[];
}
