import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapePath } from '../../src/gomod/escape.js';
import { checkModulePath } from '../../src/gomod/module-path.js';
import { checkStorageNames, enclosingVersions, lockName } from '../../src/registry/go/layout.js';
import { refCreateZip } from '../helpers/go.js';
import { scratchDirs } from '../helpers/repo.js';

const { tmp } = scratchDirs();

describe('enclosingVersions: whose version directory a module path runs through', () => {
  it.each([
    ['example.com/rt/nest/v1.0.0/sub', [['example.com/rt/nest', 'v1.0.0']]],
    ['example.com/rt/nest/v1.0.0-rc.1/a/b', [['example.com/rt/nest', 'v1.0.0-rc.1']]],
    ['a.com/v1.0.0/b/v2.0.0/c', [['a.com', 'v1.0.0'], ['a.com/v1.0.0/b', 'v2.0.0']]],
    // The first element has no module before it; non-canonical or upper-case names are never version directories.
    ['v1.0.0/x', []],
    ['example.com/m/v2', []],
    ['example.com/v1.0/x', []],
    ['example.com/V1.0.0/x', []],
    ['example.com/plain/module', []],
  ])('%s', (module, want) => {
    expect(enclosingVersions(module).map((e) => [e.module, e.version])).toEqual(want);
  });
});

/**
 * The layout's premise (layout.ts): a module path can meet another module's tree only through
 * a version-shaped element — never through `@v`, a case escape, or a dot-name of storage's own.
 * x/mod is the judge; the uploader's checkModulePath must agree with it on these.
 */
describe('which module paths can exist at all (judged by x/mod)', () => {
  const src = tmp('layout-src-');
  writeFileSync(join(src, 'go.mod'), 'module x\n');
  const xmodAccepts = (module: string) => refCreateZip(module, 'v0.1.0', src, join(tmp('layout-zip-'), 'm.zip')).ok;
  it.each(['example.com/x/@v', 'example.com/x/@v/list', 'example.com/!x', 'example.com/.staging', 'example.com/x/.locks', 'example.com/x/.tmp-1'])('refused: %s', (module) => {
    expect(xmodAccepts(module)).toBe(false);
    expect(checkModulePath(module)).not.toBeNull();
  });
  it.each(['example.com/rt/nest/v1.0.0/sub', 'v1.0.0/x', 'example.com/m/v1.0.0-rc.1'])('accepted (version-shaped elements are legal): %s', (module) => {
    expect(xmodAccepts(module)).toBe(true);
    expect(checkModulePath(module)).toBeNull();
  });
});

describe('lockName', () => {
  it('is bounded whatever the module path length, and distinct for paths that differ only in case', () => {
    const long = ['example.com', ...Array.from({ length: 40 }, () => 'x'.repeat(200))].join('/');
    expect(lockName(long).length).toBeLessThan(80);
    expect(lockName('example.com/A')).not.toBe(lockName('example.com/a'));
    expect(lockName('example.com/a')).toBe(lockName('example.com/a'));
  });
});

/**
 * The filesystem is the judge of what it can hold: around each limit, checkStorageNames must
 * accept exactly the module/version whose names and paths this filesystem actually creates.
 */
describe('checkStorageNames agrees with the filesystem', () => {
  const TEMP = '.tmp-4194304-abcdef12'; // the longest temp suffix storage appends (7-digit pid)

  /** Create every name the storage would, for real; true when the filesystem took them all. */
  function fsHolds(root: string, module: string, version: string): boolean {
    try {
      const athens = join(root, ...module.split('/'), version);
      mkdirSync(athens, { recursive: true });
      writeFileSync(join(athens, `${version}.info`), '');
      writeFileSync(join(root, `.${version}.info${TEMP}`), ''); // the staged .info's atomic temp
      const proxy = join(root, ...escapePath(module).split('/'), '@v');
      mkdirSync(proxy, { recursive: true });
      writeFileSync(join(proxy, `${escapePath(version)}.info${TEMP}`), '');
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return false;
      throw err;
    }
  }

  function agree(cases: [string, string][]): void {
    const verdicts = cases.map(([module, version]) => {
      const root = tmp('names-');
      const ours = checkStorageNames(Buffer.byteLength(root), module, version) === null;
      expect(ours, `${module.length}/${version.length}`).toBe(fsHolds(root, module, version));
      return ours;
    });
    // The range straddles the limit: both verdicts occur.
    expect(new Set(verdicts)).toEqual(new Set([true, false]));
  }

  it('prerelease length around the 255-byte name limit', () => {
    agree(Array.from({ length: 12 }, (_, i) => ['example.com/m', `v1.0.0-${'p'.repeat(216 + i)}`]));
  });

  it('upper-case prerelease, whose case-escaped name is what overflows', () => {
    agree(Array.from({ length: 12 }, (_, i) => ['example.com/m', `v1.0.0-${'P'.repeat(108 + i)}`]));
  });

  it('module path element around 255 bytes, plain and case-escaped', () => {
    agree(Array.from({ length: 6 }, (_, i) => [`example.com/${'e'.repeat(252 + i)}`, 'v1.0.0']));
    agree(Array.from({ length: 6 }, (_, i) => [`example.com/${'E'.repeat(125 + i)}`, 'v1.0.0']));
  });

  it('whole path around 4096 bytes', () => {
    const root = tmp('names-');
    const budget = 4095 - Buffer.byteLength(root);
    // 15 elements of 250 bytes, then a last element sized to land around the limit.
    const base = ['example.com', ...Array.from({ length: 15 }, (_, i) => `${i}`.padEnd(250, 'q'))].join('/');
    const near = budget - base.length - 40;
    agree(Array.from({ length: 16 }, (_, i) => [`${base}/${'z'.repeat(Math.max(1, near - 8 + i))}`, 'v1.0.0']));
  });
});
