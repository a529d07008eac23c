import { relative } from 'node:path';
import type { LanguageId } from '../model/packages.js';
import type { KubeSource } from '../kube/access.js';
import type { Snapshot } from '../snapshot/resolve.js';
import type { PushResult } from '../state/push.js';
import { EXIT, type ExitCode } from '../util/errors.js';
import { markdownTable } from '../util/log.js';
import type { LanguageRun } from './run.js';

/**
 * What a publish run did, as data, and every way it is shown — all pure. The pipeline
 * (./pipeline.ts) fills a PublishReport; the CLI and `dev --example` only render it.
 *
 * Invariants:
 * 1. The exit policy lives here and only here: 0 when every language published (and, when a
 *    push ran, pushed); 2 when every failure is a usage failure inside a language (a bad
 *    override, a bad go.mod); 1 otherwise. A push failure is never a usage failure.
 * 2. `publishJson` is a contract (CI and other tools parse it): its keys, their order and their
 *    values are frozen. Add to it only at the end of an object.
 * 3. Paths in anything shown are relative to the repository root, never absolute.
 */

/** A language's push: the ConfigMap write's result, or the error that stopped the whole push (cluster unreachable). */
export type LanguagePush = PushResult | { error: string };

/** Why no push ran, in the order the pipeline decides it. Only `no-cluster` is worth a note. */
export type PushSkip = 'dry-run' | 'disabled' | 'nothing-recorded' | 'no-cluster';

export type PushPhase =
  | { kind: 'skipped'; reason: PushSkip }
  | {
      kind: 'pushed';
      cluster: KubeSource;
      /** Set when the push could not start (no client, cluster unreachable); every language then carries it. */
      error?: string;
      /** One entry per recorded language, in run order. */
      languages: Partial<Record<LanguageId, LanguagePush>>;
    };

export interface PublishReport {
  ok: boolean;
  dryRun: boolean;
  /** False under --no-smoke (the table then says "skipped"). */
  smoke: boolean;
  snapshot: Snapshot;
  runs: LanguageRun[];
  push: PushPhase;
  exitCode: ExitCode;
}

export function languagePush(push: PushPhase, language: LanguageId): LanguagePush | undefined {
  return push.kind === 'pushed' ? push.languages[language] : undefined;
}

/** A recorded language whose state did not reach its ConfigMap. */
export function pushFailed(push: PushPhase, language: LanguageId): boolean {
  return Boolean(languagePush(push, language)?.error);
}

/** Invariant 1. */
export function exitPolicy(runs: LanguageRun[], push: PushPhase): ExitCode {
  const failed = runs.filter((r) => !r.ok || pushFailed(push, r.language));
  if (!failed.length) return EXIT.ok;
  return failed.every((r) => !r.ok && r.exitCode === EXIT.usage) ? EXIT.usage : EXIT.failure;
}

export function buildReport(o: { dryRun: boolean; smoke: boolean; snapshot: Snapshot; runs: LanguageRun[]; push: PushPhase }): PublishReport {
  const exitCode = exitPolicy(o.runs, o.push);
  return { ok: exitCode === EXIT.ok, dryRun: o.dryRun, smoke: o.smoke, snapshot: o.snapshot, runs: o.runs, push: o.push, exitCode };
}

/** The `publish --json` document (invariant 2). */
export function publishJson(report: PublishReport, root: string) {
  return {
    ok: report.ok,
    dryRun: report.dryRun,
    snapshot: report.snapshot,
    languages: Object.fromEntries(
      report.runs.map((r) => [
        r.language,
        {
          ok: r.ok,
          stage: r.stage,
          error: r.error,
          registry: r.outcome?.registry,
          packages: r.outcome?.packages ?? [],
          smoke: r.smoke,
          stateFile: r.stateFile && relative(root, r.stateFile),
          push: languagePush(report.push, r.language),
        },
      ]),
    ),
  };
}

export const SUMMARY_HEADERS = ['LANG', 'PACKAGE', 'VERSION', 'DIGEST', 'SMOKE', 'STATE'];

/** One row per package (or per language when it failed before it had any). */
export function summaryRows(report: PublishReport, root: string): string[][] {
  return report.runs.flatMap((r) => {
    const pkgs = r.outcome?.packages ?? r.plan?.packages.map((p) => ({ name: p.name, version: p.version, digest: '' })) ?? [{ name: '-', version: '-', digest: '' }];
    const smokeCell = report.dryRun ? 'dry-run' : !report.smoke ? 'skipped' : r.smoke ? (r.smoke.ok ? 'ok' : 'FAILED') : r.ok ? 'ok' : '-';
    const push = languagePush(report.push, r.language);
    const done = push && 'done' in push ? push.done : undefined;
    const pushCell = pushFailed(report.push, r.language) ? ', push FAILED' : done ? ` → ${(push as PushResult).configMap} (${done})` : '';
    const stateCell = r.stateFile ? relative(root, r.stateFile) + pushCell : r.ok ? '-' : `FAILED (${r.stage})`;
    return pkgs.map((p) => [r.language, p.name, p.version, shortDigest(p.digest), smokeCell, stateCell]);
  });
}

/** What GITHUB_STEP_SUMMARY gets: a heading naming the snapshot, then the summary table. */
export function stepSummary(report: PublishReport, root: string): string {
  return `### ameide-pkg publish ${report.snapshot.timestamp} ${report.snapshot.gitSha}\n\n${markdownTable(SUMMARY_HEADERS, summaryRows(report, root))}\n\n`;
}

/** Push errors as lines for stderr: each language's own, then the one that stopped the push. */
export function pushErrors(report: PublishReport): string[] {
  if (report.push.kind !== 'pushed') return [];
  const lines: string[] = [];
  for (const p of Object.values(report.push.languages)) if (p && 'language' in p && p.error) lines.push(`${p.language}: state push: ${p.error}`);
  if (report.push.error) lines.push(`state push: ${report.push.error}`);
  return lines;
}

/** The one note a run without a cluster earns: state was recorded but went nowhere else. */
export function pushNote(report: PublishReport): string | undefined {
  return report.push.kind === 'skipped' && report.push.reason === 'no-cluster'
    ? 'note: no kubeconfig found; state written locally only (state push skipped; --no-push silences this)'
    : undefined;
}

export function runErrors(report: PublishReport): string[] {
  return report.runs.filter((r) => !r.ok).map((r) => `${r.language}: ${r.error}`);
}

function shortDigest(d: string): string {
  return d.length > 24 ? d.slice(0, 24) + '…' : d;
}
