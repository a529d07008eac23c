import { beforeAll, describe, expect, it } from 'vitest';
import { ours } from '../helpers/xmod-ours.js';
import { xmodTableCases, type XmodCase } from '../helpers/xmod.js';

/**
 * ameide-pkg's port of golang.org/x/mod/{module,semver} answers every input of x/mod's own
 * test tables exactly as x/mod does. The expected answers are not written here: they come
 * from running x/mod (Debian's golang-golang-x-mod-dev) over its own tables.
 *
 * Inputs x/mod's tables write as invalid UTF-8 (e.g. "x.y/\xFFz") reach JavaScript with
 * U+FFFD in place of the bad byte (JSON cannot carry them); both are refused everywhere.
 */
describe("x/mod's own test tables are the judge", () => {
  let cases: XmodCase[];
  beforeAll(() => {
    cases = xmodTableCases();
  });

  it('covers every table x/mod tests its rules with', () => {
    const fns = new Set(cases.map((c) => c.fn));
    for (const fn of ['Check', 'CheckPath', 'CheckImportPath', 'CheckFilePath', 'SplitPathVersion', 'MatchPathMajor', 'EscapePath', 'UnescapePath', 'PseudoVersion', 'PseudoVersionTime', 'PseudoVersionBase', 'IsValid', 'Canonical', 'Compare']) {
      expect(fns, fn).toContain(fn);
    }
    expect(cases.length).toBeGreaterThan(2000);
  });

  for (const fn of [
    'IsValid', 'Canonical', 'Major', 'MajorMinor', 'Prerelease', 'Build', 'Compare',
    'Check', 'CheckPath', 'CheckImportPath', 'CheckFilePath', 'SplitPathVersion', 'MatchPathMajor', 'CanonicalVersion',
    'EscapePath', 'UnescapePath', 'EscapeVersion', 'UnescapeVersion', 'unescapeString',
    'IsPseudoVersion', 'PseudoVersion', 'PseudoVersionTime', 'PseudoVersionRev', 'PseudoVersionBase',
  ]) {
    it(`${fn} answers as x/mod on every table input`, () => {
      const mine = cases.filter((c) => c.fn === fn);
      expect(mine.length).toBeGreaterThan(0);
      const wrong = mine.filter((c) => JSON.stringify(ours(fn, c.in)) !== JSON.stringify(c.out));
      expect(wrong.map((c) => ({ in: c.in, xmod: c.out, ours: ours(fn, c.in) }))).toEqual([]);
    });
  }
});
