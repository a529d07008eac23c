import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configSchema, configuredLanguages } from '../languages/index.js';
import type { ConsumerResult, Language } from '../languages/types.js';
import type { LanguageId } from '../model/packages.js';
import { publishPipeline } from '../publish/pipeline.js';
import type { PublishReport } from '../publish/report.js';
import type { LanguageRun } from '../publish/run.js';
import { resolveSnapshot, type Snapshot } from '../snapshot/resolve.js';
import type { Output } from '../util/log.js';
import { childEnv } from '../util/child-env.js';
import type { DevStack } from './stack.js';

/**
 * `dev --example`: publish the bundled example monorepo (a temp git copy of
 * fixtures/example) to the dev stack, smoke it, then install it with each real client.
 * A language whose build tool is missing is reported as skipped with the install command.
 * Publishing is the same pipeline `publish` runs (../publish/pipeline.ts): state is recorded
 * locally and never pushed (see runExample).
 */
export interface ExampleResult {
  ok: boolean;
  repo: string;
  snapshot: Snapshot;
  runs: LanguageRun[];
  /** The publish pipeline's whole report (runs, push, exit code). */
  report: PublishReport;
  skipped: { language: LanguageId; reason: string }[];
  consumers: ConsumerResult[];
  stateFiles: Record<string, string>;
}

/** The installed package root (dist/… or src/… both sit two levels below it). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'fixtures', 'example', 'ameide-pkg.config.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find fixtures/example next to the ameide-pkg installation');
}

async function git(cwd: string, args: string[]): Promise<void> {
  const { execa } = await import('execa');
  await execa('git', args, {
    cwd,
    env: childEnv({
      GIT_AUTHOR_NAME: 'ameide-pkg dev',
      GIT_AUTHOR_EMAIL: 'dev@ameide.invalid',
      GIT_COMMITTER_NAME: 'ameide-pkg dev',
      GIT_COMMITTER_EMAIL: 'dev@ameide.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    }),
  });
}

export async function copyExample(): Promise<string> {
  const source = join(packageRoot(), 'fixtures', 'example');
  const repo = await mkdtemp(join(tmpdir(), 'ameide-example-'));
  await cp(source, repo, { recursive: true, filter: (p) => !/\/(node_modules|tmp)(\/|$)/.test(p.slice(source.length)) });
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', 'ameide-pkg dev example']);
  return repo;
}

/** What each language's build tooling lacks here: `missing` skips the language, `degraded` warns. */
export async function checkToolchains(languages: Language[], config: Config) {
  const found = await Promise.all(languages.map(async (l) => ({ language: l.id, ...(await l.toolchain(config[l.id])) })));
  return {
    skipped: found.flatMap((t) => (t.missing ? [{ language: t.language, reason: t.missing }] : [])),
    degraded: found.flatMap((t) => (t.degraded && !t.missing ? [{ language: t.language, reason: t.degraded }] : [])),
  };
}

export async function runExample(stack: DevStack, out: Output, opts: { keepRepo?: boolean } = {}): Promise<ExampleResult> {
  const repo = await copyExample();
  try {
    const { config } = await loadConfig(repo, configSchema());
    const env = { ...process.env, ...stack.env, ...stack.secrets };
    const all = configuredLanguages(config);
    const { skipped, degraded } = await checkToolchains(all, config);
    for (const s of skipped) out.warn(`${s.language}: skipped — ${s.reason}`);
    const languages = all.filter((l) => !skipped.some((s) => s.language === l.id));
    const snapshot = await resolveSnapshot({ cwd: repo, env, allowDirty: false });
    out.info(`example: ${repo} at ${snapshot.gitSha}, snapshot ${snapshot.timestamp}`);
    for (const d of degraded) out.warn(`${d.language}: ${d.reason}`);
    // Never a push: the records name this machine's 127.0.0.1 registries, and a developer's
    // kubeconfig points at a shared cluster whose ConfigMaps Tilt and Helm deploy from.
    // No step summary: `npm run demo` in CI never added a publish table to the job summary.
    const report = await publishPipeline({ root: repo, config, env, out, snapshot, languages, dryRun: false, smoke: true, smokeFlags: {}, push: false, stepSummary: false });
    const { runs } = report;
    const consumers: ConsumerResult[] = [];
    const stateFiles: Record<string, string> = {};
    for (const r of runs) {
      if (!r.ok || !r.record || !r.stateFile) continue;
      stateFiles[r.language] = await readFile(r.stateFile, 'utf8');
      const c = await languages.find((l) => l.id === r.language)!.consume(r.record, stack.env);
      if (c.skipped) out.warn(`${r.language} consumer: ${c.skipped}`);
      consumers.push(c);
    }
    const ok = report.ok && consumers.every((c) => c.ok);
    return { ok, repo, snapshot, runs, report, skipped, consumers, stateFiles };
  } finally {
    if (!opts.keepRepo) await rm(repo, { recursive: true, force: true });
  }
}
