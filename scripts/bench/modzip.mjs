// Module zip benchmark: generate a 20k-file / ~200 MB module, time our buildModuleZip against
// Go's own x/mod CreateFromDir (test/helpers/go/modzipref) in the same run, and report the
// time ratio (goal <= 0.6x), zip size ratio (<= 1.1x), our peak RSS (<= 150 MB), h1 equality.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const FILES = Number(process.env.FILES ?? 20000);
const TOTAL_MB = Number(process.env.TOTAL_MB ?? 200);
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'bench-modzip-'));
const MOD = 'example.com/bench/modzip';
const VERSION = 'v0.0.0-20250101000000-abcdefabcdef';

// 1. the module tree: half text-like (compressible) and half random bytes.
const dir = join(work, 'mod');
mkdirSync(dir);
writeFileSync(join(dir, 'go.mod'), `module ${MOD}\n\ngo 1.21\n`);
const per = Math.floor((TOTAL_MB << 20) / FILES);
const words = Buffer.from('package data\n// generated benchmark content with some repetition for deflate\n'.repeat(Math.ceil(per / 80) + 1));
for (let i = 0; i < FILES; i++) {
  const sub = join(dir, `pkg${Math.floor(i / 500)}`);
  if (i % 500 === 0) mkdirSync(sub);
  writeFileSync(join(sub, `f${i}.go`), i % 2 ? randomBytes(per) : words.subarray(0, per));
}

// 2. the Go reference program (built in GOPATH mode against Debian's x/mod).
const ref = join(work, 'modzipref');
execFileSync('go', ['build', '-o', ref, '.'], { cwd: join(root, 'test/helpers/go/modzipref'), env: { ...process.env, GO111MODULE: 'off', GOPATH: `${work}/gp:/usr/share/gocode`, GOCACHE: join(work, 'gocache') } });

// 3. our builder, bundled into a small runner so it runs as its own process (fair RSS).
const runner = join(work, 'ours.mjs');
await build({
  stdin: {
    contents: `import { buildModuleZip } from './src/languages/go/modzip.ts';
const [dir, mod, ver, out] = process.argv.slice(2);
const t = process.hrtime.bigint();
const r = await buildModuleZip(dir, mod, ver, out);
console.log(JSON.stringify({ h1: r.h1, ms: Number(process.hrtime.bigint() - t) / 1e6 }));`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: runner,
  logLevel: 'warning',
  banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
});

function timed(cmd, args) {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  const rssKb = Number(r.stderr.trim().split('\n').at(-1));
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, rssMb: rssKb / 1024, out: r.stdout.trim() };
}

const rounds = Number(process.env.ROUNDS ?? 2);
let best = { go: Infinity, ours: Infinity };
let goH1 = '';
let ourH1 = '';
let ourRss = 0;
for (let i = 0; i < rounds; i++) {
  const g = timed(ref, ['create', MOD, VERSION, dir, join(work, 'go.zip')]);
  goH1 = g.out;
  best.go = Math.min(best.go, g.ms);
  const o = timed(process.execPath, [runner, dir, MOD, VERSION, join(work, 'ours.zip')]);
  ourH1 = JSON.parse(o.out).h1;
  best.ours = Math.min(best.ours, o.ms);
  ourRss = Math.max(ourRss, o.rssMb);
}
const sizeRatio = statSync(join(work, 'ours.zip')).size / statSync(join(work, 'go.zip')).size;
console.log(`module: ${FILES} files, ~${TOTAL_MB} MB`);
console.log(`go CreateFromDir:  ${best.go.toFixed(0)} ms (best of ${rounds})`);
console.log(`buildModuleZip:    ${best.ours.toFixed(0)} ms (best of ${rounds}, process wall time incl. node start)`);
console.log(`time ratio: ${(best.ours / best.go).toFixed(2)}x (goal <= 0.6x)`);
console.log(`zip size ratio: ${sizeRatio.toFixed(3)}x (goal <= 1.1x)`);
console.log(`our peak RSS: ${ourRss.toFixed(0)} MB (goal <= 150 MB)`);
console.log(`h1 equal: ${goH1 === ourH1} (${ourH1})`);
rmSync(work, { recursive: true, force: true });
