import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_GOCODE } from './go.js';
import { PROJECT_ROOT } from './repo.js';

/**
 * x/mod as the judge. Two tools under test/helpers/go/xmodtables:
 *  - module/ and semver/zz_dump_test.go: copied next to x/mod's own _test.go files in a temp
 *    GOPATH and run with `go test -run TestZZDump`; they walk x/mod's test tables and record
 *    x/mod's answer for every input (xmodTableCases).
 *  - eval/: a program answering {fn, in} requests on stdin with x/mod, modfile and Go's
 *    time.Parse, for generated inputs (xmodEval).
 */
export interface XmodCase {
  fn: string;
  in: string[];
  out: unknown;
}

const TOOLS = join(PROJECT_ROOT, 'test/helpers/go/xmodtables');
const BIN_DIR = join(PROJECT_ROOT, 'test/helpers/go/bin');
const XMOD = join(DEBIAN_GOCODE, 'src/golang.org/x/mod');

function goEnvFor(gopath: string, work: string): NodeJS.ProcessEnv {
  return { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: join(work, 'cache'), GOFLAGS: '' };
}

/** A key over every input of a build, so a cached result is reused only when nothing changed. */
function keyOf(dirs: string[]): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.go')) h.update(p).update(readFileSync(p));
    }
  };
  dirs.forEach(walk);
  return h.digest('hex').slice(0, 16);
}

/** Every x/mod test-table input with x/mod's own answer (cached per x/mod + dump source). */
export function xmodTableCases(): XmodCase[] {
  const pkgs = ['module', 'semver'];
  const key = keyOf([...pkgs.map((p) => join(XMOD, p)), ...pkgs.map((p) => join(TOOLS, p))]);
  const cache = join(BIN_DIR, `xmodtables-${key}.json`);
  if (!existsSync(cache)) {
    const work = mkdtempSync(join(tmpdir(), 'xmodtables-'));
    try {
      const dst = join(work, 'gopath/src/golang.org/x/mod');
      for (const d of [...pkgs, 'internal']) cpSync(join(XMOD, d), join(dst, d), { recursive: true });
      for (const p of pkgs) cpSync(join(TOOLS, p, 'zz_dump_test.go'), join(dst, p, 'zz_dump_test.go'));
      const out = join(work, 'out');
      mkdirSync(out);
      execFileSync('go', ['test', '-count=1', '-run', '^TestZZDump$', ...pkgs.map((p) => `golang.org/x/mod/${p}`)], {
        cwd: work,
        env: { ...goEnvFor(join(work, 'gopath'), work), XMOD_DUMP_DIR: out },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const cases = pkgs.flatMap((p) =>
        readFileSync(join(out, `${p}.jsonl`), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as XmodCase),
      );
      mkdirSync(BIN_DIR, { recursive: true });
      const tmp = join(work, 'cases.json');
      writeFileSync(tmp, JSON.stringify(cases));
      renameSync(tmp, cache);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return JSON.parse(readFileSync(cache, 'utf8')) as XmodCase[];
}

/** Build (once, race-free across workers) the x/mod evaluator. */
export function xmodEvalBinary(): string {
  const bin = join(BIN_DIR, `xmodeval-${keyOf([join(TOOLS, 'eval')])}`);
  if (existsSync(bin)) return bin;
  mkdirSync(BIN_DIR, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'xmodeval-build-'));
  try {
    const out = join(work, 'xmodeval');
    execFileSync('go', ['build', '-o', out, '.'], {
      cwd: join(TOOLS, 'eval'),
      env: goEnvFor(`${work}/gopath:${DEBIAN_GOCODE}`, work),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    renameSync(out, bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

/** Ask x/mod (one process, every request a line) and return its answers in request order. */
export function xmodEval(requests: { fn: string; in: string[] }[]): Promise<XmodCase[]> {
  const bin = xmodEvalBinary();
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    proc.stdout.on('data', (c: Buffer) => out.push(c));
    proc.stderr.on('data', (c) => (err += c));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`xmodeval exited ${code}: ${err}`));
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
      if (lines.length !== requests.length) return reject(new Error(`xmodeval answered ${lines.length} of ${requests.length}`));
      resolve(lines.map((l) => JSON.parse(l) as XmodCase));
    });
    proc.stdin.end(requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
}
