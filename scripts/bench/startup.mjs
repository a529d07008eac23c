// Start-up benchmark: median wall time of `ameide-pkg version --json` on the example repo vs
// `node -e 0`, measured in the same run. Goal: ratio <= 1.5x (nothing heavy at start-up).
// Usage: node scripts/bench/startup.mjs [--strict]   (RUNS=21 by default)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finish, goal, loadavg } from './lib.mjs';

const RUNS = Number(process.env.RUNS ?? 21);
const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli/main.js');
const repo = mkdtempSync(join(tmpdir(), 'bench-startup-'));
cpSync(join(root, 'fixtures/example'), repo, { recursive: true });
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-qm', 'bench']]) execFileSync('git', args, { cwd: repo, env });

function once(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadBefore = loadavg();

// Runs are interleaved in pairs and the ratio is the median of per-pair ratios, so load that
// comes and goes on a shared machine hits both sides alike.
for (let i = 0; i < 3; i++) {
  once(process.execPath, ['-e', '0']);
  once(process.execPath, [cli, 'version', '--json']);
}
const bases = [];
const ourss = [];
const ratios = [];
for (let i = 0; i < RUNS; i++) {
  const b = once(process.execPath, ['-e', '0']);
  const o = once(process.execPath, [cli, 'version', '--json']);
  bases.push(b);
  ourss.push(o);
  ratios.push(o / b);
}
const base = median(bases);
const ours = median(ourss);
rmSync(repo, { recursive: true, force: true });
const ratio = median(ratios);
console.log(`node -e 0:                 ${base.toFixed(1)} ms (median of ${RUNS})`);
console.log(`ameide-pkg version --json: ${ours.toFixed(1)} ms (median of ${RUNS})`);
console.log(`load average before: ${loadBefore}`);
goal('start-up ratio vs node -e 0 (median of per-pair ratios)', ratio, '<=', 1.5, 'x');
finish();
