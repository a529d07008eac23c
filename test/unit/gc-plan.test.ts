import { describe, expect, it } from 'vitest';
import { parseDuration, planModuleGc, type GcVersion } from '../../src/registry/go/gc.js';

const v = (version: string, time: number): GcVersion => ({ version, time, bytes: 10 });
const versions = [
  v('v0.0.0-20250101000000-aaaaaaaaaaaa', 1),
  v('v0.0.0-20250102000000-bbbbbbbbbbbb', 2),
  v('v0.0.0-20250103000000-cccccccccccc', 3),
  v('v0.0.0-20250104000000-dddddddddddd', 4),
  v('v1.2.0', 0),
  v('v1.2.1-0.20250105000000-eeeeeeeeeeee', 5),
];
const removed = (p: ReturnType<typeof planModuleGc>) => p.remove.map((x) => x.version);

describe('planModuleGc', () => {
  it('keeps the newest N pseudo-versions by time, tags always, pins always', () => {
    const p = planModuleGc(versions, { keep: 2, includeTags: false, pinned: new Set(['v0.0.0-20250101000000-aaaaaaaaaaaa']) });
    expect(removed(p)).toEqual(['v0.0.0-20250103000000-cccccccccccc', 'v0.0.0-20250102000000-bbbbbbbbbbbb']);
    expect(p.keep.map((k) => `${k.version}:${k.reason}`)).toEqual([
      'v1.2.1-0.20250105000000-eeeeeeeeeeee:newest',
      'v0.0.0-20250104000000-dddddddddddd:newest',
      'v0.0.0-20250101000000-aaaaaaaaaaaa:pinned',
      'v1.2.0:tagged',
    ]);
  });
  it('--older-than protects recent versions; --include-tags makes tags eligible', () => {
    expect(removed(planModuleGc(versions, { keep: 0, olderThan: 3, includeTags: false, pinned: new Set() }))).toEqual(['v0.0.0-20250102000000-bbbbbbbbbbbb', 'v0.0.0-20250101000000-aaaaaaaaaaaa']);
    expect(removed(planModuleGc(versions, { keep: 5, includeTags: true, pinned: new Set() }))).toEqual(['v1.2.0']);
    expect(planModuleGc([], { keep: 0, includeTags: true, pinned: new Set() })).toEqual({ remove: [], keep: [] });
  });
});

describe('parseDuration', () => {
  it('reads s/m/h/d/w and rejects the rest', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    for (const bad of ['', '30', 'd', '1.5d', '-1d', '30 days']) expect(parseDuration(bad), bad).toBeNull();
  });
});
