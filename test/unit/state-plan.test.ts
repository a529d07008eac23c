import { describe, expect, it } from 'vitest';
import { compareState } from '../../src/state/check.js';
import { serializeState } from '../../src/state/files.js';
import { planPush } from '../../src/state/push.js';
import type { StateView } from '../../src/state/views.js';
import { sampleRecord } from '../helpers/state.js';

const ok = (n: number): StateView => {
  const record = sampleRecord('go', n);
  return { status: 'ok', record, text: serializeState(record) };
};
const where = { configMap: 'go-packages-state', key: 'ameide-sdk-go.json', file: 'tmp/tilt-packages/go.json' };

describe('planPush', () => {
  it('creates, patches, leaves identical bytes alone, and never sends what is not a valid record', () => {
    expect(planPush(ok(1), { status: 'missing-configmap' }).action).toBe('create');
    expect(planPush(ok(1), { status: 'missing' }).action).toBe('patch');
    expect(planPush(ok(1), ok(2)).action).toBe('patch');
    expect(planPush(ok(1), ok(1)).action).toBe('unchanged');
    expect(planPush(ok(1), { status: 'invalid', reason: 'x', text: '{' }).action).toBe('patch');
    expect(planPush({ status: 'missing' }, ok(1)).action).toBe('skip');
    expect(planPush({ status: 'invalid', reason: 'not valid JSON', text: '{' }, ok(1))).toEqual({ action: 'refuse', reason: 'local state file is not valid JSON' });
  });
});

describe('compareState', () => {
  const kinds = (l: StateView, c: StateView) => compareState('go', where, l, c).map((f) => f.kind);
  it('is clean only when both sides hold the same record', () => {
    expect(kinds(ok(1), ok(1))).toEqual([]);
    // Same record, other formatting (e.g. written by the seed's scripts): not drift.
    const reformatted: StateView = { ...ok(1), text: JSON.stringify(sampleRecord('go', 1)) } as StateView;
    expect(kinds(ok(1), reformatted)).toEqual([]);
  });
  it('names every kind of drift with a fix', () => {
    expect(kinds(ok(1), ok(2))).toEqual(['mismatch']);
    expect(kinds(ok(1), { status: 'missing-configmap' })).toEqual(['missing-configmap']);
    expect(kinds(ok(1), { status: 'missing' })).toEqual(['missing-key']);
    expect(kinds(ok(1), { status: 'invalid', reason: 'r', text: '' })).toEqual(['invalid-cluster']);
    expect(kinds({ status: 'missing' }, ok(1))).toEqual(['missing-local']);
    expect(kinds({ status: 'invalid', reason: 'r', text: '' }, { status: 'missing' })).toEqual(['missing-key', 'invalid-local']);
    const [m] = compareState('go', where, ok(1), ok(2));
    expect(m!.message).toContain('differs in version, timestamp, gitSha');
    expect(m!.fix).toContain('ameide-pkg state sync --lang go');
    const [missing] = compareState('go', where, { status: 'missing' }, { status: 'missing' });
    expect(missing!.fix).toBe('ameide-pkg publish --lang go');
  });
});
