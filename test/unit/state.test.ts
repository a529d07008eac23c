import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseState, readState, serializeState, writeState } from '../../src/state/files.js';
import type { StateRecord } from '../../src/state/schema.js';
import { tempDir, scratchDirs } from '../helpers/repo.js';
import { RULES } from '../helpers/state.js';

const { track } = scratchDirs();

export const sampleRecord = (): StateRecord => ({
  schemaVersion: 1,
  language: 'go',
  version: 'v0.0.0-20251106082752-a0e03c2d4532',
  timestamp: '20251106082752',
  gitSha: 'a0e03c2d4532',
  publishedAt: '2025-11-06T08:27:55Z',
  registry: 'http://go.packages.example',
  packages: [{ name: 'go.packages.example/ameide-sdk-go', version: 'v0.0.0-20251106082752-a0e03c2d4532', digest: 'h1:' + 'A'.repeat(43) + '=' }],
});

describe('state records', () => {
  it('round-trips through an atomic write with nothing left behind', async () => {
    const d = tempDir();
    track(d);
    const p = join(d, 'nested/dir/go.json');
    await writeState(p, sampleRecord(), RULES);
    expect(await readState(p, RULES, 'go')).toEqual(sampleRecord());
    expect(readFileSync(p, 'utf8')).toBe(serializeState(sampleRecord()));
    expect(readdirSync(join(d, 'nested/dir'))).toEqual(['go.json']);
  });

  it('returns null for a missing file, a clear error for corrupt and foreign ones', async () => {
    const d = tempDir();
    track(d);
    expect(await readState(join(d, 'none.json'), RULES)).toBeNull();
    writeFileSync(join(d, 'corrupt.json'), '{"schemaVersion":1,');
    await expect(readState(join(d, 'corrupt.json'), RULES)).rejects.toThrow(/corrupt\.json: not valid JSON/);
    writeFileSync(join(d, 'foreign.json'), '{"name":"something-else"}');
    await expect(readState(join(d, 'foreign.json'), RULES)).rejects.toThrow(/not an ameide-pkg state record/);
  });

  it('rejects wrong language, bad digests and bad SHAs', () => {
    const r = sampleRecord();
    expect(parseState(JSON.stringify(r), RULES, 'ts')).toMatchObject({ ok: false, reason: expect.stringMatching(/expected "ts"/) });
    expect(parseState(JSON.stringify({ ...r, gitSha: 'XYZ' }), RULES)).toMatchObject({ ok: false, reason: expect.stringMatching(/gitSha/) });
    const badDigest = { ...r, packages: [{ ...r.packages[0]!, digest: 'md5:abc' }] };
    expect(parseState(JSON.stringify(badDigest), RULES)).toMatchObject({ ok: false, reason: expect.stringMatching(/digest/) });
  });

  it('refuses to write an invalid record', async () => {
    const d = tempDir();
    track(d);
    await expect(writeState(join(d, 'x.json'), { ...sampleRecord(), timestamp: 'now' }, RULES)).rejects.toThrow(/invalid state/);
    expect(readdirSync(d)).toEqual([]);
  });
});
