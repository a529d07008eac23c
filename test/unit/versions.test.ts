import { describe, expect, it } from 'vitest';
import { checkFilePath, checkModulePath, checkPathMajor } from '../../src/gomod/module-path.js';
import { compareSemver } from '../../src/gomod/semver.js';
import { escapePath, unescapePath } from '../../src/gomod/escape.js';
import { isPseudoVersion } from '../../src/gomod/pseudo.js';
import { goOverrideVersion, goSnapshotVersion, newestBaseTag } from '../../src/languages/go/version.js';
import { pythonBaseVersion, pythonOverrideVersion, pythonSnapshotVersion } from '../../src/languages/python/version.js';
import { npmShaIdentifier, tsBaseVersion, tsOverrideVersion, tsSnapshotVersion } from '../../src/languages/ts/version.js';
import { CliError } from '../../src/util/errors.js';

const snap = { timestamp: '20251106083012', gitSha: 'a0e03c2d4532' };

function usage(fn: () => unknown, match: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CliError);
  expect((err as CliError).exitCode).toBe(2);
  expect((err as CliError).message).toMatch(match);
}

describe('ts versions', () => {
  it('formats the seed example', () => {
    expect(tsSnapshotVersion('0.12.0', snap)).toBe('0.12.0-dev.20251106083012.a0e03c2d4532');
  });
  it('prefixes g only for an all-digit SHA with a leading zero', () => {
    expect(npmShaIdentifier('012345678901')).toBe('g012345678901');
    expect(npmShaIdentifier('123456789012')).toBe('123456789012');
    expect(npmShaIdentifier('0a2345678901')).toBe('0a2345678901');
    expect(tsSnapshotVersion('1.0.0', { timestamp: snap.timestamp, gitSha: '012345678901' })).toBe('1.0.0-dev.20251106083012.g012345678901');
  });
  it('takes MAJOR.MINOR.PATCH of the package version', () => {
    expect(tsBaseVersion('0.12.0-beta.1', '@ameide/sdk')).toBe('0.12.0');
    usage(() => tsBaseVersion('banana', '@ameide/sdk'), /@ameide\/sdk.*not valid semver/);
  });
  it('validates overrides and names the variable', () => {
    expect(tsOverrideVersion('1.2.3-rc.1')).toBe('1.2.3-rc.1');
    usage(() => tsOverrideVersion('v1.2'), /AMEIDE_TS_SDK_VERSION/);
    usage(() => tsOverrideVersion('1.2.3-01'), /AMEIDE_TS_SDK_VERSION/);
  });
});

describe('python versions', () => {
  it('formats the seed example, with and without the local label', () => {
    expect(pythonSnapshotVersion('0.1.0', { timestamp: '20251106082643', gitSha: 'a0e03c2d4532' }, true)).toBe('0.1.0.dev20251106082643+ga0e03c2d4532');
    expect(pythonSnapshotVersion('0.1.0', snap, false)).toBe('0.1.0.dev20251106083012');
  });
  it('normalizes the base and refuses dev/post/local bases', () => {
    expect(pythonBaseVersion('1.0.0RC1', 'v.py')).toBe('1.0.0rc1');
    usage(() => pythonBaseVersion('1.0.dev1', 'v.py'), /release/);
    usage(() => pythonBaseVersion('not a version', 'v.py'), /PEP 440/);
  });
  it('validates overrides and names the variable', () => {
    expect(pythonOverrideVersion('1.2.0RC1')).toBe('1.2.0rc1');
    usage(() => pythonOverrideVersion('1.2.x'), /AMEIDE_PYTHON_SDK_VERSION/);
  });
});

describe('go versions', () => {
  const mod = 'go.packages.dev.ameide.io/ameide-sdk-go';
  it('formats the seed pseudo-version', () => {
    const v = goSnapshotVersion(mod, { timestamp: '20251106082752', gitSha: 'a0e03c2d4532' }, 'pseudo');
    expect(v).toBe('v0.0.0-20251106082752-a0e03c2d4532');
    expect(isPseudoVersion(v)).toBe(true);
  });
  it('follows Go rules from the newest reachable tag', () => {
    expect(goSnapshotVersion(mod, snap, 'tags', ['v0.1.0', 'v0.3.1', 'v0.2.9', 'junk'])).toBe('v0.3.2-0.20251106083012-a0e03c2d4532');
    expect(goSnapshotVersion(mod, snap, 'tags', ['v0.1.0', 'v0.4.0-rc.1'])).toBe('v0.4.0-rc.1.0.20251106083012-a0e03c2d4532');
    expect(goSnapshotVersion(mod, snap, 'tags', [])).toBe('v0.0.0-20251106083012-a0e03c2d4532');
    expect(goSnapshotVersion(`${mod}/v2`, snap, 'tags', ['v1.9.0', 'v2.1.0'])).toBe('v2.1.1-0.20251106083012-a0e03c2d4532');
    expect(newestBaseTag(['v2.0.0', 'v1.5.0'], mod)).toBe('v1.5.0');
  });
  it('refuses a /v2 module path with a v0 base (exit 2)', () => {
    usage(() => goSnapshotVersion(`${mod}/v2`, snap, 'pseudo'), /\/v2 suffix|requires v2/);
  });
  it('validates overrides: canonical, and matching the path major', () => {
    expect(goOverrideVersion('v1.4.0', mod)).toBe('v1.4.0');
    usage(() => goOverrideVersion('1.4.0', mod), /AMEIDE_GO_SDK_VERSION/);
    usage(() => goOverrideVersion('v1.4', mod), /AMEIDE_GO_SDK_VERSION/);
    usage(() => goOverrideVersion('v2.0.0', mod), /AMEIDE_GO_SDK_VERSION/);
    expect(goOverrideVersion('v2.0.0', `${mod}/v2`)).toBe('v2.0.0');
  });
  it('checks module paths like x/mod', () => {
    expect(checkModulePath(mod)).toBeNull();
    expect(checkModulePath('github.com/Foo/bar')).toBeNull();
    for (const bad of ['nodot/x', 'Example.com/x', 'example.com/x/v1', 'example.com/x/v0', 'example.com//x', 'example.com/x/', 'example.com/a b', 'example.com/.x', 'example.com/con', '-x.com/y']) {
      expect(checkModulePath(bad), bad).not.toBeNull();
    }
    expect(checkPathMajor('v2.0.0', 'example.com/x')).toMatch(/no \/v2 suffix/);
  });
  it('checks zip file paths like x/mod', () => {
    for (const ok of ['a/b.go', 'x/@#$%&()+,-=[]^_{}~ !.txt', 'ünïcode/ok.go']) expect(checkFilePath(ok), ok).toBeNull();
    for (const bad of ['a/../b', '/abs', 'a\\b', 'a//b', 'a/*', 'a/"q"', 'a/b:c', 'x/COM1.go', 'dir/']) expect(checkFilePath(bad), bad).not.toBeNull();
  });
  it('case-escapes paths and refuses invalid escapes', () => {
    expect(escapePath('github.com/Azure/SDK')).toBe('github.com/!azure/!s!d!k');
    expect(unescapePath('github.com/!azure/!s!d!k')).toBe('github.com/Azure/SDK');
    expect(unescapePath('github.com/Azure')).toBeNull();
    expect(unescapePath('x/!1')).toBeNull();
  });
  it('orders versions like x/mod/semver', () => {
    const sorted = ['v0.0.0-20200101000000-aaaaaaaaaaaa', 'v0.1.0-rc.1', 'v0.1.0-rc.2', 'v0.1.0-rc.10', 'v0.1.0', 'v0.1.1-0.20200101000000-aaaaaaaaaaaa', 'v0.1.1', 'v1.0.0', 'v10.0.0'];
    expect([...sorted].reverse().sort(compareSemver)).toEqual(sorted);
  });
});
