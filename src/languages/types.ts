import type { Config, LanguageId } from '../config/schema.js';
import type { EnvSpec } from '../config/env.js';
import type { Snapshot } from '../snapshot/resolve.js';
import type { StateRecord } from '../state/schema.js';
import type { Output } from '../util/log.js';

/**
 * The one interface ts, python and go implement the same way. The split mirrors changesets:
 * `plan` is a pure function of the repo + snapshot (what WOULD be published), `publish` and
 * `smoke` are the steps that touch registries.
 */
export interface LanguageContext {
  /** Repository root (where ameide-pkg.config.json is). */
  root: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  out: Output;
}

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

/** The two halves of `publish` a terminal shows apart: making the artifact, sending it. */
export type PublishStep = 'build' | 'upload';

export interface PublishOptions {
  dryRun: boolean;
  /** Run smoke after publish (default true). */
  smoke: boolean;
  /** Language-specific switches (e.g. withGo, withPip). */
  extra?: Record<string, unknown>;
  /**
   * Told when publish enters a step (again for each package) and, with the same step, when
   * there is news worth showing (bytes sent). `detail` is one short line, never a secret.
   */
  onStep?: (step: PublishStep, detail?: string) => void;
}

export interface PublishedPackage {
  name: string;
  version: string;
  /** The ecosystem's own digest: Go `h1:`, npm `integrity`, Python `sha256:`. */
  digest: string;
  /** "published", "already-present" (idempotent re-run), or "dry-run". */
  status: 'published' | 'already-present' | 'dry-run';
  /** Extra facts for --json and tables (file counts, sizes, rewritten deps). */
  details?: Record<string, unknown>;
}

export interface PublishOutcome {
  language: LanguageId;
  registry: string;
  packages: PublishedPackage[];
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

export interface Language {
  readonly id: LanguageId;
  /** Read manifests and compute every package's snapshot version. No network. */
  plan(ctx: LanguageContext, snapshot: Snapshot): Promise<VersionPlan>;
  /** Environment the publish step needs (smoke's is separate so `--no-smoke` needs less). */
  readonly publishEnv: EnvSpec;
  readonly smokeEnv: EnvSpec;
  publish(ctx: LanguageContext, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome>;
  /** Verify through the consumer's read path that what `outcome` lists is served as published. */
  smoke(ctx: LanguageContext, plan: VersionPlan, outcome: PublishOutcome, opts: Record<string, unknown>): Promise<SmokeReport>;
  /** Is every package a state record names still served on the consumer's read path (smokeEnv)? */
  served(ctx: LanguageContext, record: StateRecord): Promise<SmokeCheck[]>;
}
