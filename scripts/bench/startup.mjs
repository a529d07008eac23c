// Start-up benchmark: median wall time of `ameide-pkg version --json` on the example repo vs
// `node -e 0`, measured in the same run. Target ratio ≤ 1.6× (nothing heavy at start-up).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.RUNS ?? 21);
const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'dist/cli/main.js');
const repo = mkdtempSync(join(tmpdir(), 'bench-startup-'));
cpSync(join(root, 'fixtures/example'), repo, { recursive: true });
const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
for (const args of [['init', '-q'], ['add', '-A'], ['commit', '-qm', 'bench']]) execFileSync('git', args, { cwd: repo, env });

function median(cmd, args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Interleave warm-up so neither side benefits from a colder page cache.
median(process.execPath, ['-e', '0']);
median(process.execPath, [cli, 'version', '--json']);
const base = median(process.execPath, ['-e', '0']);
const ours = median(process.execPath, [cli, 'version', '--json']);
rmSync(repo, { recursive: true, force: true });
const ratio = ours / base;
console.log(`node -e 0:                 ${base.toFixed(1)} ms (median of ${RUNS})`);
console.log(`ameide-pkg version --json: ${ours.toFixed(1)} ms (median of ${RUNS})`);
console.log(`ratio: ${ratio.toFixed(2)}x (target <= 1.6x) ${ratio <= 1.6 ? 'OK' : 'OVER TARGET'}`);
