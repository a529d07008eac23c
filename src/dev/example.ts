import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import { configuredLanguages } from '../config/load.js';
import type { LanguageId } from '../config/schema.js';
import { loadLanguage } from '../languages/registry.js';
import { publishPipeline } from '../publish/pipeline.js';
import { pushErrors, type PublishReport } from '../publish/report.js';
import type { LanguageRun } from '../publish/run.js';
import { resolveSnapshot, type Snapshot } from '../snapshot/resolve.js';
import type { Output } from '../util/log.js';
import { childEnv } from '../util/child-env.js';
import { onPath } from '../util/path.js';
import { CONSUMERS, INSTALL_HINTS, type ConsumerResult } from './consumers.js';
import type { DevStack } from './stack.js';

/**
 * `dev --example`: publish the bundled example monorepo (a temp git copy of
 * fixtures/example) to the dev stack, smoke it, then install it with each real client.
 * A language whose build tool is missing is reported as skipped with the install command.
 * Publishing is the same pipeline `publish` runs (../publish/pipeline.ts): state is recorded,
 * and pushed only if a cluster is configured (normally none on a dev machine).
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

/** Languages whose build tooling is absent, with the exact install command. */
export async function missingToolchains(languages: LanguageId[], configuredPython?: string): Promise<{ language: LanguageId; reason: string }[]> {
  const out: { language: LanguageId; reason: string }[] = [];
  if (languages.includes('python')) {
    const { findBuildInterpreter } = await import('../languages/python/build.js');
    try {
      await findBuildInterpreter(configuredPython);
    } catch {
      out.push({ language: 'python', reason: `no Python with the "build" module: ${INSTALL_HINTS.pythonBuild}` });
    }
  }
  if (languages.includes('ts') && !(await onPath('npm'))) out.push({ language: 'ts', reason: 'npm is not on PATH: install Node.js with npm' });
  return out;
}

export async function runExample(stack: DevStack, out: Output, opts: { keepRepo?: boolean } = {}): Promise<ExampleResult> {
  const repo = await copyExample();
  try {
    const { config } = await loadConfig(repo);
    const env = { ...process.env, ...stack.env, ...stack.secrets };
    const all = configuredLanguages(config);
    const skipped = await missingToolchains(all, config.python?.interpreter);
    for (const s of skipped) out.warn(`${s.language}: skipped — ${s.reason}`);
    const ids = all.filter((l) => !skipped.some((s) => s.language === l));
    const languages = await Promise.all(ids.map(loadLanguage));
    const snapshot = await resolveSnapshot({ cwd: repo, env, allowDirty: false });
    out.info(`example: ${repo} at ${snapshot.gitSha}, snapshot ${snapshot.timestamp}`);
    const withGo = await onPath('go');
    if (!withGo) out.warn(`go: the real go is not installed, Go smoke checks the GOPROXY protocol only (${INSTALL_HINTS.go})`);
    // No step summary: `npm run demo` in CI never added a publish table to the job summary.
    const report = await publishPipeline({ root: repo, config, env, out, snapshot, languages, dryRun: false, smoke: true, smokeOptions: { withGo }, stepSummary: false });
    for (const line of pushErrors(report)) out.error(line);
    const { runs } = report;
    const consumers: ConsumerResult[] = [];
    const stateFiles: Record<string, string> = {};
    for (const r of runs) {
      if (!r.ok || !r.record || !r.stateFile) continue;
      stateFiles[r.language] = await readFile(r.stateFile, 'utf8');
      const c = await CONSUMERS[r.language](r.record, stack.env);
      if (c.skipped) out.warn(`${r.language} consumer: ${c.skipped}`);
      consumers.push(c);
    }
    const ok = report.ok && consumers.every((c) => c.ok);
    return { ok, repo, snapshot, runs, report, skipped, consumers, stateFiles };
  } finally {
    if (!opts.keepRepo) await rm(repo, { recursive: true, force: true });
  }
}
