import type * as z from 'zod/mini';
import type { EnvSpec } from '../config/env.js';
import type { Config, StateMapping } from '../config/schema.js';
import type { LanguageId, PublishOutcome, SmokeCheck, SmokeReport, VersionPlan } from '../model/packages.js';
import type { RecordRule, StateRecord } from '../model/record.js';
import type { Snapshot } from '../snapshot/resolve.js';
import type { Output } from '../util/log.js';

/**
 * The plug-in contract: everything a command needs to know about one ecosystem, in one
 * object per `src/languages/<id>/index.ts`, listed once in the table (`languages/index.ts`).
 * Nothing outside a language's folder branches on its id (docs/architecture.md §11).
 *
 * The object itself is light — data, schemas and small functions — because every command
 * reads it (config validation, `--lang`, help). The work behind `plan`, `publish`, `smoke`,
 * `consume`, `pin` and the doctor probes is imported lazily inside those methods, so a
 * command loads only the code it runs.
 *
 * The split mirrors changesets: `plan` is a pure function of the repo + snapshot (what WOULD
 * be published), `publish` and `smoke` are the steps that touch registries.
 *
 * Methods are declared as methods (not function-valued properties) on purpose: that keeps a
 * `Language<GoSection, …>` assignable to the table's `Language`, whose type parameters are
 * `unknown`.
 */
export interface LanguageContext<Section = unknown> {
  /** Repository root (where ameide-pkg.config.json is). */
  root: string;
  config: Config;
  /** This language's config section, validated by its `config.schema`. */
  section: Section;
  env: NodeJS.ProcessEnv;
  out: Output;
}

/** The two halves of `publish` a terminal shows apart: making the artifact, sending it. */
export type PublishStep = 'build' | 'upload';

export interface PublishOptions {
  dryRun: boolean;
  /**
   * Told when publish enters a step (again for each package) and, with the same step, when
   * there is news worth showing (bytes sent). `detail` is one short line, never a secret.
   */
  onStep?: (step: PublishStep, detail?: string) => void;
}

/** A command-line flag a language adds to a command (`--with-go`, `--constraints <file>`). */
export interface LanguageFlag<Key extends string = string> {
  /** The key commander stores the value under (camelCase of the long flag). */
  key: Key;
  /** Commander's flag syntax: `--with-go`, `--no-with-go`, `--upstream-probe <module@version>`. */
  flags: string;
  description: string;
  defaultValue?: string;
}

/** The parsed values of a language's flags, keyed as declared. */
export type FlagValues<Key extends string = string> = { readonly [K in Key]?: string | boolean };

/** What installing a record's packages with the ecosystem's real client showed. */
export interface ConsumerResult {
  language: LanguageId;
  ok: boolean;
  /** Set when the client is not installed: the reason and the install command. */
  skipped?: string;
  detail: string;
}

/** One edit `pin` makes to a consumer. */
export interface PinEdit {
  file: string;
  /** Human description, e.g. `require M v1 → v2`. */
  change: string;
}

/** `pin`'s pure half (the edits, shown by `--dry-run`) and its apply step. */
export interface PinPlan {
  edits: PinEdit[];
  apply(): Promise<void>;
}

/** A finding of `doctor`: what is wrong, why it matters, the fix. */
export type DoctorLevel = 'ok' | 'info' | 'warn' | 'error';
export interface DoctorFinding {
  id: string;
  level: DoctorLevel;
  what: string;
  why?: string;
  fix?: string;
}

/** A URL doctor probes: healthy when `healthy(status)`; `fix` says what to do when not. */
export interface HealthProbe {
  id: string;
  name: string;
  url: string;
  healthy(status: number): boolean;
  fix: string;
}

/** Whether this machine can build a language's artifacts (`dev --example`). */
export interface Toolchain {
  /** The language cannot publish here: why, with the install command. It is skipped. */
  missing?: string;
  /** It can, with a weaker smoke: what is missing and its install command. */
  degraded?: string;
}

export interface Language<Section = unknown, Details = unknown, SmokeKey extends string = string, Id extends LanguageId = LanguageId> {
  readonly id: Id;
  /** How help texts name the ecosystem ("TypeScript"): `ameide-pkg --help` lists them. */
  readonly title: string;

  /** The config section (`"<id>": {…}`) and the default place of its state record. */
  readonly config: { schema: z.ZodMiniType<Section>; state: StateMapping };
  /** Environment the publish step needs (smoke's is separate so `--no-smoke` needs less). */
  readonly publishEnv: EnvSpec;
  /** Environment of the consumer's read path: smoke, `state check --registry`, consumer installs. */
  readonly smokeEnv: EnvSpec;
  /** How its state records are validated (digest form, name and version rules). */
  readonly record: Omit<RecordRule, 'language'>;
  /** `publish` flags that tune this language's smoke step. */
  readonly smokeFlags: readonly LanguageFlag<SmokeKey>[];

  /** Read manifests and compute every package's snapshot version. No network. */
  plan(ctx: LanguageContext<Section>, snapshot: Snapshot): Promise<VersionPlan>;
  publish(ctx: LanguageContext<Section>, plan: VersionPlan, opts: PublishOptions): Promise<PublishOutcome<Details, Id>>;
  /** Verify through the consumer's read path that what `outcome` lists is served as published. */
  smoke(ctx: LanguageContext<Section>, plan: VersionPlan, outcome: PublishOutcome<Details, Id>, flags: FlagValues<SmokeKey>): Promise<SmokeReport>;
  /** Is every package a state record names still served on the consumer's read path (smokeEnv)? */
  served(ctx: LanguageContext<Section>, record: StateRecord): Promise<SmokeCheck[]>;
  /** Install what a record names the way a consumer would, with the real client (smokeEnv). */
  consume(record: StateRecord, env: NodeJS.ProcessEnv): Promise<ConsumerResult>;

  /** `pin`: point the consumer in `dir` at exactly the record's versions. */
  readonly pin: {
    /** One line for `pin --help`: what is edited, and how. */
    summary: string;
    flags: readonly LanguageFlag[];
    plan(record: StateRecord, dir: string, flags: FlagValues): Promise<PinPlan>;
  };

  /** What `doctor` asks of this language. */
  readonly doctor: {
    /** Registries to probe (from the environment; none when the variables are unset). */
    probes(env: NodeJS.ProcessEnv): HealthProbe[];
    /** Newest non-prerelease version the consumer's registry serves for a package, or null. */
    latestRelease(name: string, env: NodeJS.ProcessEnv): Promise<string | null>;
    /** Whether version `a` sorts after `b` by the ecosystem's own ordering. */
    sortsAfter(a: string, b: string): Promise<boolean>;
    /** The fix when a snapshot does not sort after the latest release. */
    raiseBase(latest: string): string;
    /** Why this configuration needs full git history (tags), if it does. */
    needsHistory(section: Section): string | undefined;
    /** Checks only this ecosystem has (the consumer's Go environment). */
    extra(ctx: LanguageContext<Section>): Promise<DoctorFinding[]>;
  };

  /** Can this machine build the language's artifacts? */
  toolchain(section: Section): Promise<Toolchain>;
  /** Variables the dev stack adds for this language's consumers (GONOSUMDB for the SDK's hosts). */
  devEnv(root: string, section: Section): Promise<Record<string, string>>;
}
