import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSnapshot, shortSha } from '../../src/snapshot/resolve.js';
import { formatTimestamp, parseTimestamp } from '../../src/snapshot/timestamp.js';
import { CliError } from '../../src/util/errors.js';
import { FIXED_TIMESTAMP, gitIn, makeRepo, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
const repo = () => {
  const d = makeRepo();
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeDir));

async function expectUsage(p: Promise<unknown>, match: RegExp) {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).exitCode).toBe(2);
  expect((err as CliError).message).toMatch(match);
}

describe('resolveSnapshot', () => {
  it('cuts the full HEAD hash to exactly 12 chars, even when git would abbreviate longer', async () => {
    const dir = repo();
    gitIn(dir, ['config', 'core.abbrev', '16']);
    const full = gitIn(dir, ['rev-parse', 'HEAD']);
    expect(full).toHaveLength(40);
    const s = await resolveSnapshot({ cwd: dir, env: {}, allowDirty: false });
    expect(s.gitSha).toBe(full.slice(0, 12));
    expect(s.gitSha).toHaveLength(12);
    expect(s.shaSource).toBe('git');
  });

  it('uses the committer time of HEAD on a clean tree', async () => {
    const s = await resolveSnapshot({ cwd: repo(), env: {}, allowDirty: false, now: () => new Date('2030-01-01T00:00:00Z') });
    expect(s).toMatchObject({ timestamp: FIXED_TIMESTAMP, timeSource: 'commit', dirty: false, time: '2025-11-06T08:30:12Z' });
  });

  it('refuses a dirty tree and names --allow-dirty', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'packages/ts/sdk/index.js'), '// changed\n');
    await expectUsage(resolveSnapshot({ cwd: dir, env: {}, allowDirty: false }), /--allow-dirty/);
  });

  it('counts an untracked file as dirty', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'new-file.txt'), 'x');
    await expectUsage(resolveSnapshot({ cwd: dir, env: {}, allowDirty: false }), /new-file\.txt/);
  });

  it('uses now on a dirty tree with --allow-dirty, and commit time when asked explicitly', async () => {
    const dir = repo();
    writeFileSync(join(dir, 'packages/ts/sdk/index.js'), '// changed\n');
    const now = () => new Date('2026-02-03T04:05:06.789Z');
    const s = await resolveSnapshot({ cwd: dir, env: {}, allowDirty: true, now });
    expect(s).toMatchObject({ timestamp: '20260203040506', timeSource: 'now', dirty: true });
    const c = await resolveSnapshot({ cwd: dir, env: {}, allowDirty: true, now, timeSource: 'commit' });
    expect(c).toMatchObject({ timestamp: FIXED_TIMESTAMP, timeSource: 'commit' });
  });

  it('uses now on a clean tree with time source now', async () => {
    const s = await resolveSnapshot({ cwd: repo(), env: {}, allowDirty: false, timeSource: 'now', now: () => new Date('2027-07-07T07:07:07Z') });
    expect(s.timestamp).toBe('20270707070707');
  });

  it('lets --timestamp and SOURCE_DATE_EPOCH override the time source', async () => {
    const dir = repo();
    const a = await resolveSnapshot({ cwd: dir, env: { SOURCE_DATE_EPOCH: '1700000000' }, allowDirty: false });
    expect(a).toMatchObject({ timestamp: '20231114221320', timeSource: 'source-date-epoch' });
    const b = await resolveSnapshot({ cwd: dir, env: { SOURCE_DATE_EPOCH: '1700000000' }, allowDirty: false, timestamp: '20240101000000' });
    expect(b).toMatchObject({ timestamp: '20240101000000', timeSource: 'timestamp-flag' });
    await expectUsage(resolveSnapshot({ cwd: dir, env: {}, allowDirty: false, timestamp: '20241301000000' }), /YYYYMMDDHHMMSS/);
    await expectUsage(resolveSnapshot({ cwd: dir, env: { SOURCE_DATE_EPOCH: 'yesterday' }, allowDirty: false }), /SOURCE_DATE_EPOCH/);
  });

  it('falls back to SOURCE_GIT_SHA without git metadata (release tarball)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await resolveSnapshot({ cwd: dir, env: { SOURCE_GIT_SHA: 'A0E03C2D4532FFEEDDCCBBAA' }, allowDirty: false, timestamp: '20251106082752' });
    expect(s).toMatchObject({ gitSha: 'a0e03c2d4532', shaSource: 'SOURCE_GIT_SHA', dirty: false });
  });

  it('exits 2 without git metadata and without SOURCE_GIT_SHA, or with a short one', async () => {
    const dir = tempDir();
    dirs.push(dir);
    await expectUsage(resolveSnapshot({ cwd: dir, env: {}, allowDirty: false }), /SOURCE_GIT_SHA/);
    await expectUsage(resolveSnapshot({ cwd: dir, env: { SOURCE_GIT_SHA: 'abc123' }, allowDirty: false }), /at least 12 hex/);
  });
});

describe('timestamps', () => {
  it('formats in UTC and round-trips only real instants', () => {
    expect(formatTimestamp(new Date('2025-11-06T08:30:12.999Z'))).toBe('20251106083012');
    expect(parseTimestamp('20251106083012')?.toISOString()).toBe('2025-11-06T08:30:12.000Z');
    for (const bad of ['20250230000000', '2025110608301', '20251106083060', 'abcdefghijklmn']) expect(parseTimestamp(bad)).toBeNull();
  });
  it('shortSha lower-cases and cuts', () => {
    expect(shortSha('ABCDEF0123456789abcdef0123456789abcdef01')).toBe('abcdef012345');
  });
});
