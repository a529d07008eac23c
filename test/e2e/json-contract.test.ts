/**
 * The `--json` contract, pinned byte for byte: the documents `version`, `publish`,
 * `state check` and `doctor` print for the example monorepo are compared with golden files
 * under test/golden/. Key order, field names, nesting, status strings, finding ids, levels
 * and messages are all part of what CI scripts, Tilt and alerting parse, so a change to any
 * of them must show up here as a diff a reviewer approves.
 *
 * Regenerate after an INTENDED change (and review the diff of test/golden/):
 *
 *   npm run build && UPDATE_GOLDEN=1 npx vitest run test/e2e/json-contract.test.ts
 *
 * One stack for all four documents: real Verdaccio + `registry serve` (Go uploader, GOPROXY
 * read API, Python index), the fake apiserver for the state ConfigMaps, the example copied
 * into a temp git repo with a fixed commit time (so every version, npm integrity and Go h1
 * is the same on every run). `publish` pushes to the fake apiserver rather than running
 * with --no-push: the push result is part of the publish document, and `state check` then
 * reads exactly what publish pushed, as in CI.
 *
 * Only what legitimately varies per run is replaced before comparing (see `normalize`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../src/dev/stack.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { FIXED_TIMESTAMP, PROJECT_ROOT, makeRepo, scratchDirs } from '../helpers/repo.js';

const GOLDEN = join(PROJECT_ROOT, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const NS = 'ameide';
const GO_HOST = 'go.packages.dev.ameide.io';
const { tmp, track } = scratchDirs();

/**
 * Per-run values → stable placeholders. Exact strings known to this run are replaced (temp
 * dirs, the registries' and apiserver's URLs, whose ports are random; the sdist's sha256),
 * plus the wall-clock times of two named fields. Nothing is matched loosely: every other
 * byte must equal the golden, digests included — npm integrity, Go h1 and the wheel's sha256
 * are reproducible for a fixed commit time (the wheel is built with SOURCE_DATE_EPOCH); two
 * runs proved it.
 *
 * The one digest that is not: a setuptools sdist (.tar.gz) carries its build time (the gzip
 * header's mtime; src/languages/python/publish.ts says so too) whatever SOURCE_DATE_EPOCH
 * says, so two runs of one commit gave two sha256s. Its value is read from the document itself
 * (the `files` entry whose filename ends in .tar.gz) and then replaced like the others.
 */
function normalize(text: string, run: Record<string, string>): string {
  const values = { ...run };
  const sdists = [...text.matchAll(/"filename": "[^"]+\.tar\.gz",\s*"sha256": "([0-9a-f]{64})"/g)].map((m) => m[1]!);
  sdists.forEach((sha, i) => (values[`sdist-sha256-${i + 1}`] = sha));
  // Longest first, so a URL that prefixes another (the Go registry and its /pypi index)
  // is not half-replaced.
  const pairs = Object.entries(values).sort(([, a], [, b]) => b.length - a.length);
  let out = text;
  for (const [name, value] of pairs) out = out.split(value).join(`<${name}>`);
  return out.replace(/"(publishedAt|checkedAt)": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"/g, '"$1": "<time>"');
}

/** The built CLI, stdout kept exactly as printed (execa would strip the final newline). */
const cli = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, { env, stripFinalNewline: false });

function matchGolden(name: string, r: CliResult, run: Record<string, string>): void {
  const file = join(GOLDEN, `${name}.json`);
  const got = normalize(r.stdout, run);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`${file} missing: run with UPDATE_GOLDEN=1 to write it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, got);
  }
  // Byte for byte: toBe on the whole text, so whitespace and key order count too.
  expect(got).toBe(readFileSync(file, 'utf8'));
}

describe('--json documents on the example are byte-identical to test/golden/', () => {
  let stack: DevStack;
  let api: FakeApiServer;
  let repo: string;
  let home: string;
  let kubeDir: string;
  let env: NodeJS.ProcessEnv;
  let run: Record<string, string>;

  beforeAll(async () => {
    stack = await startDevStack({ consumerEnv: { GONOSUMDB: GO_HOST } });
    api = await startFakeApiServer({ https: true, token: 'golden-token', namespaces: [NS] });
    repo = track(makeRepo());
    home = tmp('golden-home-');
    kubeDir = tmp('golden-kube-');
    const kubeconfig = api.writeKubeconfig(kubeDir);
    env = { ...stack.env, ...stack.secrets, GONOSUMDB: GO_HOST, GOWORK: 'off', HOME: home, KUBECONFIG: kubeconfig };
    // The placeholder names are what the goldens show; the values are this run's.
    run = { repo, home, kube: kubeDir, storage: stack.storage, npm: stack.urls.npm, go: stack.urls.go, apiserver: api.url };
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await stack?.close();
  });

  it('version --json (commit time) and version --json --timestamp', async () => {
    const r = await cli(['version', '--json', '-C', repo], env);
    expect(r.exitCode, r.stderr).toBe(0);
    matchGolden('version', r, run);
    const t = await cli(['version', '--json', '--timestamp', FIXED_TIMESTAMP.replace(/^2025/, '2026'), '-C', repo], env);
    expect(t.exitCode, t.stderr).toBe(0);
    matchGolden('version-timestamp', t, run);
  });

  it('publish --lang all --json: real registries, smoke on, state pushed to the fake apiserver', async () => {
    const r = await cli(['publish', '--lang', 'all', '--json', '-C', repo], env);
    expect(r.exitCode, r.stderr).toBe(0);
    matchGolden('publish', r, run);
  }, 180_000);

  it('state check --json after the push (clean)', async () => {
    const r = await cli(['state', 'check', '--json', '-C', repo], env);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    matchGolden('state-check', r, run);
  });

  it('doctor --json against the same stack and apiserver', async () => {
    const r = await cli(['doctor', '--json', '-C', repo], env);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    matchGolden('doctor', r, run);
  });
});
