import * as pep440 from '@renovatebot/pep440';
import fc from 'fast-check';
import semver from 'semver';
import { describe, it } from 'vitest';
import { canonicalSemver, compareSemver, isValidSemver } from '../../src/gomod/semver.js';
import { isPseudoVersion } from '../../src/gomod/pseudo.js';
import { goSnapshotVersion } from '../../src/languages/go/version.js';
import { isNormalizedPep440, pythonSnapshotVersion } from '../../src/languages/python/version.js';
import { tsSnapshotVersion } from '../../src/languages/ts/version.js';
import { formatTimestamp } from '../../src/snapshot/timestamp.js';

const RUNS = 10_000;
const hex = fc.constantFrom(...'0123456789abcdef');
// Bias toward all-digit SHAs (leading zero included): that is where npm goes wrong.
const sha = fc.oneof(
  fc.string({ unit: hex, minLength: 12, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 12, maxLength: 12 }),
);
const time = fc.date({ min: new Date('1980-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true });
const snapshotArb = fc.record({ timestamp: time.map(formatTimestamp), gitSha: sha });
const base3 = fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)).map(([a, b, c]) => `${a}.${b}.${c}`);
/** Two snapshots of the same base, the second strictly later. */
const laterPair = fc
  .tuple(time, time, sha, sha)
  .filter(([a, b]) => formatTimestamp(a) !== formatTimestamp(b))
  .map(([a, b, s1, s2]) => {
    const [early, late] = a < b ? [a, b] : [b, a];
    return [{ timestamp: formatTimestamp(early), gitSha: s1 }, { timestamp: formatTimestamp(late), gitSha: s2 }] as const;
  });

describe('property: every emitted version is valid in its ecosystem', () => {
  it('ts: valid, already-clean semver', () => {
    fc.assert(
      fc.property(base3, snapshotArb, (base, s) => {
        const v = tsSnapshotVersion(base, s);
        return semver.valid(v) === v && semver.prerelease(v)?.[0] === 'dev';
      }),
      { numRuns: RUNS },
    );
  });
  it('python: valid, normalized PEP 440 dev release (with and without local label)', () => {
    fc.assert(
      fc.property(base3, snapshotArb, fc.boolean(), (base, s, local) => {
        const v = pythonSnapshotVersion(base, s, local);
        const e = pep440.explain(v);
        return isNormalizedPep440(v) && e !== null && String(e.dev) === s.timestamp && (local ? e.local === `g${s.gitSha}` : e.local === null);
      }),
      { numRuns: RUNS },
    );
  });
  it('go: canonical semver and a pseudo-version', () => {
    fc.assert(
      fc.property(snapshotArb, (s) => {
        const v = goSnapshotVersion('example.com/m', s, 'pseudo');
        return isValidSemver(v) && canonicalSemver(v) === v && isPseudoVersion(v);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: a later snapshot of the same base sorts higher', () => {
  it('ts (semver precedence)', () => {
    fc.assert(fc.property(base3, laterPair, (base, [a, b]) => semver.gt(tsSnapshotVersion(base, b), tsSnapshotVersion(base, a))), { numRuns: RUNS });
  });
  it('python (PEP 440 ordering)', () => {
    fc.assert(
      fc.property(base3, laterPair, fc.boolean(), (base, [a, b], local) =>
        pep440.gt(pythonSnapshotVersion(base, b, local), pythonSnapshotVersion(base, a, local)),
      ),
      { numRuns: RUNS },
    );
  });
  it('go (x/mod semver ordering), both pseudo and tag-based', () => {
    fc.assert(
      fc.property(laterPair, fc.constantFrom<string[]>([], ['v1.2.3'], ['v0.4.0-rc.1']), ([a, b], tags) => {
        const mode = tags.length ? 'tags' : 'pseudo';
        return compareSemver(goSnapshotVersion('example.com/m', b, mode, tags), goSnapshotVersion('example.com/m', a, mode, tags)) > 0;
      }),
      { numRuns: RUNS },
    );
  });
  it('a snapshot sorts below the release of its base in every ecosystem', () => {
    fc.assert(
      fc.property(base3, snapshotArb, (base, s) =>
        semver.lt(tsSnapshotVersion(base, s), base) && pep440.lt(pythonSnapshotVersion(base, s, true), base),
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('property: the local npm version checks agree with the semver package', () => {
  // Strings near the grammar's edges: leading zeros, v/=, build metadata, odd identifiers.
  const part = fc.oneof(fc.constantFrom('0', '00', '01', '1', '10', '9007199254740991', '9007199254740993', 'x', ''), fc.nat(99999).map(String));
  const ident = fc.oneof(part, fc.constantFrom('dev', 'rc-1', '-', 'a.b', '0a', 'g012', 'Ä', ' '));
  const semverish = fc
    .tuple(fc.constantFrom('', 'v', '=', ' ', 'vv'), part, part, part, fc.option(fc.array(ident, { minLength: 1, maxLength: 4 })), fc.option(fc.array(ident, { minLength: 1, maxLength: 2 })), fc.constantFrom('', ' '))
    .map(([pre, a, b, c, prerelease, build, post]) => `${pre}${a}.${b}.${c}${prerelease ? '-' + prerelease.join('.') : ''}${build ? '+' + build.join('.') : ''}${post}`);
  const candidate = fc.oneof(semverish, fc.string({ maxLength: 20 }));

  it('isCleanSemver(v) ⇔ semver.valid(v) === v', async () => {
    const { isCleanSemver } = await import('../../src/languages/ts/version.js');
    fc.assert(fc.property(candidate, (v) => isCleanSemver(v) === (semver.valid(v) === v)), { numRuns: RUNS });
  });

  it('tsBaseVersion accepts exactly what semver.parse does, with the same MAJOR.MINOR.PATCH', async () => {
    const { tsBaseVersion } = await import('../../src/languages/ts/version.js');
    fc.assert(
      fc.property(candidate, (v) => {
        const p = semver.parse(v);
        let ours: string | null;
        try {
          ours = tsBaseVersion(v, 'p');
        } catch {
          ours = null;
        }
        return ours === (p ? `${p.major}.${p.minor}.${p.patch}` : null);
      }),
      { numRuns: RUNS },
    );
  });
});
