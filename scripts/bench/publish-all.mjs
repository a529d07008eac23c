// `publish --lang all` benchmark: the three languages publish concurrently from one snapshot,
// so on the example the whole run should cost about as much as its slowest language alone.
// Reference, measured in the same run against the same stack: `publish --lang ts`, `python`
// and `go` one at a time. Goal: median(all) / median(slowest single language) <= 1.2x.
//
// One `ameide-pkg dev` stack (Verdaccio, the Go uploader + GOPROXY, the Python index) serves
// every run; the example is copied into a temp git repo with a fixed commit date. Every run
// gets its own --timestamp, so every run builds, uploads and smokes a version nobody has seen
// (nothing is answered by "already published"). Smoke is on (npm, pip and, if go is on PATH,
// the real `go mod download`); --no-push, so no cluster is involved.
//
// The four commands alternate inside a round and the order rotates from round to round, so
// load that comes and goes on a shared machine falls on all of them alike.
//
// Usage: node scripts/bench/publish-all.mjs [--strict]   (ROUNDS=3, WARMUP=1 by default;
// run `npm run build` first: this times the built CLI, dist/cli/main.js)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI, ROOT, finish, goal, loadavg, median, report } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARMUP = Number(process.env.WARMUP ?? 1);
const LANGS = ['ts', 'python', 'go'];
const COMMANDS = [...LANGS, 'all'];
// With go on PATH, publish's Go smoke runs the real `go mod download`; the bench checks it did.
const GO_ON_PATH = spawnSync('go', ['version']).status === 0;
const COMMIT_DATE = '2025-11-06T08:30:12Z';

const scratch = mkdtempSync(join(tmpdir(), 'bench-publish-all-'));
const repo = join(scratch, 'repo');
const home = join(scratch, 'home');
const example = join(ROOT, 'fixtures/example');
// Filter on the path inside the example: leftovers of a local run (node_modules, tmp/) stay out.
cpSync(example, repo, { recursive: true, filter: (p) => !/\/(node_modules|tmp)(\/|$)/.test(p.slice(example.length)) });
mkdirSync(home);
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@ameide.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@ameide.invalid',
  GIT_AUTHOR_DATE: COMMIT_DATE,
  GIT_COMMITTER_DATE: COMMIT_DATE,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-qm', 'bench']]) execFileSync('git', args, { cwd: repo, env: gitEnv });

/**
 * `ameide-pkg dev` in the background, run from the example (so GONOSUMDB covers its Go
 * module). Resolves once it has printed its exports and the line that sources the 0600
 * credentials file; the environment is read from both, the secrets never printed.
 */
function startDev() {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'dev', '--storage', join(scratch, 'storage'), '-C', repo], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (c) => (err += c));
    proc.once('exit', (code) => reject(new Error(`dev exited ${code}: ${err.trim()}`)));
    const env = {};
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const m = /^export (\w+)=(\S+)$/.exec(line);
      if (m) env[m[1]] = m[2];
      const s = /^\. (\S+)/.exec(line);
      if (!s) return;
      for (const l of readFileSync(s[1], 'utf8').split('\n')) {
        const e = /^export (\w+)=(.*)$/.exec(l);
        if (e) env[e[1]] = e[2];
      }
      resolve({ proc, env });
    });
  });
}

/** YYYYMMDDHHMMSS, `n` seconds after the commit time: a fresh version for every run. */
function timestamp(n) {
  return new Date(Date.parse(COMMIT_DATE) + n * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
}

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** utime + stime (own) and cutime + cstime (waited-for children) of a process, in ms; stat(5). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields from the state (3rd) on: the command name before it may contain spaces.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { own: (f[11] + f[12]) * TICK_MS, children: (f[13] + f[14]) * TICK_MS };
}
/**
 * CPU time of one run, all of it: the CLI and the npm, python and go children it waits for
 * (this process's children CPU) plus the stack serving it (Verdaccio, the Go uploader and
 * the Python index all run inside the `dev` process). With 2 cores and other work on them,
 * `all` cannot finish in less than this over the cores it gets, which explains what the
 * wall clock shows.
 */
const cpuNow = () => ({ client: cpuMs('self').children, stack: cpuMs(devPid).own });
let devPid;

let runNo = 0;
/** One `publish --lang <lang>` run, { ms: wall, cpu: all CPU, stack: the stack's CPU }; throws unless every language published and smoked. */
function publish(lang, env) {
  const ts = timestamp(++runNo);
  const args = [CLI, 'publish', '--lang', lang, '--no-push', '--json', '--timestamp', ts, '-C', repo];
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const cpu0 = cpuNow();
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (err += c));
    proc.once('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      const fail = (why) => reject(new Error(`publish --lang ${lang} --timestamp ${ts}: ${why}\n${err.trim()}`));
      if (code !== 0) return fail(`exit ${code}`);
      let doc;
      try {
        doc = JSON.parse(out);
      } catch {
        return fail('stdout is not JSON');
      }
      for (const l of lang === 'all' ? LANGS : [lang]) {
        const r = doc.languages?.[l];
        if (!r?.ok || !r.smoke?.ok) return fail(`${l} did not publish and smoke`);
        if (!r.packages.length || r.packages.some((p) => p.status !== 'published')) return fail(`${l}: not every package is newly published`);
        if (l === 'go' && GO_ON_PATH && !r.smoke.checks.some((c) => c.name.endsWith('go mod download'))) return fail('go smoke did not run the real go');
      }
      const cpu1 = cpuNow();
      resolve({ ms, cpu: cpu1.client - cpu0.client + cpu1.stack - cpu0.stack, stack: cpu1.stack - cpu0.stack });
    });
  });
}

const loadBefore = loadavg();
const runs = Object.fromEntries(COMMANDS.map((c) => [c, []]));
const roundRatios = [];
let dev;
try {
  const started = await startDev();
  dev = started.proc;
  devPid = dev.pid;
  // HOME is a scratch dir: npm's and pip's caches and config start empty and stay out of the
  // user's (and no ~/.kube/config is found). GOWORK off: the example is its own module.
  const env = { ...process.env, ...started.env, HOME: home, GOWORK: 'off', CI: 'true', NO_COLOR: '1' };
  // Warm-up (not counted): the first publishes create the packages in Verdaccio and fill the
  // OS's caches.
  for (let i = 0; i < WARMUP; i++) for (const c of COMMANDS) await publish(c, env);
  for (let r = 0; r < ROUNDS; r++) {
    const order = COMMANDS.map((_, i) => COMMANDS[(i + r) % COMMANDS.length]);
    const round = {};
    for (const c of order) round[c] = await publish(c, env);
    for (const c of COMMANDS) runs[c].push(round[c]);
    roundRatios.push(round.all.ms / Math.max(...LANGS.map((l) => round[l].ms)));
    console.log(`round ${r + 1}: ${order.map((c) => `${c} ${(round[c].ms / 1000).toFixed(2)} s`).join(', ')}`);
  }
} finally {
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    const exited = new Promise((res) => dev.once('exit', res));
    dev.kill('SIGINT');
    await exited;
  }
  rmSync(scratch, { recursive: true, force: true });
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const wall = Object.fromEntries(COMMANDS.map((c) => [c, median(runs[c].map((x) => x.ms))]));
const cpu = Object.fromEntries(COMMANDS.map((c) => [c, median(runs[c].map((x) => x.cpu))]));
const stackCpu = Object.fromEntries(COMMANDS.map((c) => [c, median(runs[c].map((x) => x.stack))]));
for (const c of COMMANDS) console.log(`publish --lang ${c.padEnd(6)} ${s(wall[c])} wall, ${s(cpu[c])} CPU of which the stack ${s(stackCpu[c])} (medians of ${ROUNDS})`);
const slowest = LANGS.reduce((a, b) => (wall[b] > wall[a] ? b : a));
const serial = LANGS.reduce((n, l) => n + wall[l], 0);
report('slowest single language', `${slowest} (${s(wall[slowest])})`);
report('per-round ratios all / slowest of the round', roundRatios.map((x) => x.toFixed(2) + 'x').join(', '));
// Context for a missed goal: `all` vs the three run one after another (1.0x = no overlap at
// all), and its CPU time vs the three singles' (equal = concurrency added no work, so any
// gap to the slowest language is the cores being busy, not the pipeline waiting).
report('all vs ts + python + go one after another', `${(wall.all / serial).toFixed(2)}x of ${s(serial)}`);
report('CPU of all vs the three singles', `${(cpu.all / LANGS.reduce((n, l) => n + cpu[l], 0)).toFixed(2)}x`);
console.log(`load average before: ${loadBefore}`);
goal(`publish --lang all vs ${slowest} alone (median/median)`, wall.all / wall[slowest], '<=', 1.2, 'x');
finish();
