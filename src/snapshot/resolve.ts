import { usageError } from '../util/errors.js';
import { dirtyPaths, readHead } from './git.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

/**
 * The ONE snapshot of a run. Every artifact of every language is versioned from this value,
 * so a run's npm, Python and Go builds share timestamp and SHA (docs/architecture.md §4).
 */
export interface Snapshot {
  /** UTC `YYYYMMDDHHMMSS`. */
  timestamp: string;
  /** First 12 hex chars of the commit (never `--short=12`, which may return more). */
  gitSha: string;
  /** The instant `timestamp` encodes, ISO 8601 UTC. */
  time: string;
  timeSource: TimeSource;
  dirty: boolean;
  /** Where the SHA came from. */
  shaSource: 'git' | 'SOURCE_GIT_SHA';
}

export type TimeSource = 'commit' | 'now' | 'timestamp-flag' | 'source-date-epoch';

export interface ResolveOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--timestamp YYYYMMDDHHMMSS`. */
  timestamp?: string;
  /** `--time-source`, else config `timeSource`. */
  timeSource?: 'commit' | 'now';
  allowDirty: boolean;
  now?: () => Date;
}

export const SHA_LENGTH = 12;

/** Cut a full object name to the snapshot SHA. Pure. */
export function shortSha(full: string): string {
  return full.slice(0, SHA_LENGTH).toLowerCase();
}

export async function resolveSnapshot(opts: ResolveOptions): Promise<Snapshot> {
  const now = opts.now ?? (() => new Date());
  const [head, dirtyList] = await Promise.all([readHead(opts.cwd), dirtyPaths(opts.cwd)]);

  let gitSha: string;
  let shaSource: Snapshot['shaSource'];
  if (head) {
    gitSha = shortSha(head.hash);
    shaSource = 'git';
  } else {
    const env = opts.env.SOURCE_GIT_SHA?.trim();
    if (!env) {
      throw usageError(
        `no git metadata in ${opts.cwd} and SOURCE_GIT_SHA is not set: run inside the repository or export SOURCE_GIT_SHA=<commit sha>`,
      );
    }
    if (!/^[0-9a-fA-F]{12,64}$/.test(env)) {
      throw usageError(`SOURCE_GIT_SHA must be at least 12 hex characters (got "${env}")`);
    }
    gitSha = shortSha(env);
    shaSource = 'SOURCE_GIT_SHA';
  }

  const dirty = head !== null && dirtyList.length > 0;
  if (dirty && !opts.allowDirty) {
    const shown = dirtyList.slice(0, 3).join(', ') + (dirtyList.length > 3 ? `, … (${dirtyList.length} paths)` : '');
    throw usageError(
      `working tree has uncommitted changes (${shown}): commit them, or pass --allow-dirty to version from the current time`,
    );
  }

  let time: Date;
  let timeSource: TimeSource;
  if (opts.timestamp !== undefined) {
    const t = parseTimestamp(opts.timestamp);
    if (!t) throw usageError(`--timestamp must be a UTC time as YYYYMMDDHHMMSS (got "${opts.timestamp}")`);
    time = t;
    timeSource = 'timestamp-flag';
  } else if (opts.env.SOURCE_DATE_EPOCH !== undefined && opts.env.SOURCE_DATE_EPOCH !== '') {
    const raw = opts.env.SOURCE_DATE_EPOCH;
    if (!/^\d{1,12}$/.test(raw)) throw usageError(`SOURCE_DATE_EPOCH must be whole seconds since 1970 (got "${raw}")`);
    time = new Date(Number(raw) * 1000);
    timeSource = 'source-date-epoch';
  } else {
    // A dirty tree defaults to `now` so each local change gets a new version; a clean tree
    // defaults to the commit time so a re-run is an idempotent no-op.
    const wanted = opts.timeSource ?? (dirty ? 'now' : 'commit');
    if (wanted === 'commit' && head) {
      time = new Date(head.committerEpoch * 1000);
      timeSource = 'commit';
    } else if (wanted === 'commit' && opts.timeSource === 'commit') {
      throw usageError('--time-source commit needs git metadata: set SOURCE_DATE_EPOCH or use --time-source now');
    } else {
      time = now();
      timeSource = 'now';
    }
  }
  time = new Date(Math.floor(time.getTime() / 1000) * 1000);
  return {
    timestamp: formatTimestamp(time),
    gitSha,
    time: time.toISOString().replace(/\.000Z$/, 'Z'),
    timeSource,
    dirty,
    shaSource,
  };
}
