import { describe, expect, it } from 'vitest';
import { checkStorable, MAX_NAME_BYTES, MAX_PATH_BYTES, STORAGE_ROOT_RESERVE, VERSION_NAME_RESERVE } from '../../src/registry/go/upload-limits.js';

/** Names the storage can hold: 255 bytes per name (as stored, i.e. case-escaped), and a path budget. */
describe('checkStorable', () => {
  it('takes a module path element up to 255 bytes as stored, and counts escaped upper case twice', () => {
    expect(checkStorable(`example.com/${'a'.repeat(MAX_NAME_BYTES)}`, 'v1.0.0')).toBeNull();
    expect(checkStorable(`example.com/${'a'.repeat(MAX_NAME_BYTES + 1)}`, 'v1.0.0')).toMatch(/256 bytes .*255 bytes per name/);
    expect(checkStorable(`example.com/${'A'.repeat(127)}`, 'v1.0.0')).toBeNull();
    expect(checkStorable(`example.com/${'A'.repeat(128)}`, 'v1.0.0')).toMatch(/256 bytes as stored/);
  });
  it('leaves room in a version file name for ".info" and a temp mark', () => {
    const max = MAX_NAME_BYTES - VERSION_NAME_RESERVE;
    const v = (n: number) => `v1.0.0-${'p'.repeat(n - 'v1.0.0-'.length)}`;
    expect(checkStorable('example.com/m', v(max))).toBeNull();
    expect(checkStorable('example.com/m', v(max + 1))).toMatch(new RegExp(`at most ${max} bytes`));
    expect(checkStorable('example.com/m', `v1.0.0-${'P'.repeat(max / 2)}`)).toMatch(/bytes as stored/);
  });
  it('keeps the whole stored path inside PATH_MAX with room for the storage root', () => {
    const budget = MAX_PATH_BYTES - STORAGE_ROOT_RESERVE;
    const elems = (n: number) => `example.com/${Array.from({ length: n }, () => 'e'.repeat(200)).join('/')}`;
    expect(checkStorable(elems(10), 'v1.0.0')).toBeNull();
    expect(checkStorable(elems(20), 'v1.0.0')).toMatch(new RegExp(`at most ${budget} fit below the storage root`));
  });
  it('messages stay one short line even for huge names', () => {
    const r = checkStorable(`example.com/${'x'.repeat(5000)}`, 'v1.0.0')!;
    expect(r).not.toContain('\n');
    expect(r.length).toBeLessThan(200);
  });
});
