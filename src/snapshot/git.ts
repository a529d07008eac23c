import { execFile, spawnSync } from 'node:child_process';
import { childEnv } from '../util/child-env.js';

/**
 * Git access for the resolver. Uses child_process directly (not execa) because `version`
 * is on the start-up path and every millisecond of import time counts there.
 */
export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

const MAX_BUFFER = 64 * 1024 * 1024;

export function git(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: MAX_BUFFER, env: childEnv({ LC_ALL: 'C' }) }, (err, stdout, stderr) => {
      resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * `git` run synchronously, for the two calls every snapshot makes. A process that exits
 * right after (`version`) pays much less for spawnSync than for execFile, which sets up
 * stream sockets and event-loop turns per child: measured from a bare script, two spawnSync
 * calls cost +12 ms CPU over `node -e 0` against +19 ms for two concurrent execFile calls,
 * and far less wall time on a loaded machine. Both commands are short (they read the index
 * and HEAD), so blocking the event loop for them does not matter even in `dev`.
 */
export function gitSync(cwd: string, args: string[]): GitResult {
  const r = spawnSync('git', args, { cwd, maxBuffer: MAX_BUFFER, env: childEnv({ LC_ALL: 'C' }), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: !r.error && r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export interface HeadInfo {
  /** Full 40 (or 64) hex object name. */
  hash: string;
  /** Committer time of HEAD, seconds since the epoch. */
  committerEpoch: number;
}

/** HEAD's hash and committer time, or null when `cwd` is not inside a git work tree with commits. */
export async function readHead(cwd: string): Promise<HeadInfo | null> {
  const r = gitSync(cwd, ['log', '-1', '--format=%H %ct', 'HEAD']);
  if (!r.ok) return null;
  const m = /^([0-9a-f]{40,64}) (\d+)$/.exec(r.stdout.trim());
  if (!m) return null;
  return { hash: m[1]!, committerEpoch: Number(m[2]) };
}

/** Paths with uncommitted changes (tracked or untracked-not-ignored). */
export async function dirtyPaths(cwd: string): Promise<string[]> {
  const r = gitSync(cwd, ['status', '--porcelain', '-z']);
  if (!r.ok) return [];
  return r.stdout
    .split('\0')
    .filter((e) => e.length > 3)
    .map((e) => e.slice(3));
}

export async function isShallow(cwd: string): Promise<boolean> {
  const r = await git(cwd, ['rev-parse', '--is-shallow-repository']);
  return r.ok && r.stdout.trim() === 'true';
}

export async function repoTopLevel(cwd: string): Promise<string | null> {
  const r = await git(cwd, ['rev-parse', '--show-toplevel']);
  return r.ok ? r.stdout.trim() : null;
}

/** Tags reachable from HEAD that start with `prefix` (e.g. `go/sdk/v`). */
export async function reachableTags(cwd: string, prefix: string): Promise<string[]> {
  const r = await git(cwd, ['tag', '--merged', 'HEAD', '--list', `${prefix}*`]);
  if (!r.ok) return [];
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}
