import { describe, expect, it } from 'vitest';
import { collisionChecker, foldKey } from '../../src/gomod/fold.js';
import { goFoldOrbits } from '../helpers/go.js';

describe("case folding is x/mod's strToFold (Go's unicode.SimpleFold tables are the judge)", () => {
  it('foldKey agrees with Go for every rune', async () => {
    const want = new Map(await goFoldOrbits());
    expect(want.size).toBeGreaterThan(1000);
    const wrong: string[] = [];
    for (let r = 0; r <= 0x10ffff; r++) {
      if (r >= 0xd800 && r <= 0xdfff) continue; // not a rune of any valid UTF-8 string
      const got = foldKey(String.fromCodePoint(r)).codePointAt(0)!;
      const exp = want.get(r) ?? r;
      if (got !== exp && wrong.length < 10) wrong.push(`U+${r.toString(16)} → U+${got.toString(16)}, Go: U+${exp.toString(16)}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    ['ß.go', 'ẞ.go'],
    ['k.go', '\u212a.go'], // Kelvin sign
    ['σ.go', 'ς.go'],
    ['README', 'readme'],
    ['dir/a.go', 'DIR/b.go'],
  ])('%s and %s collide', (a, b) => {
    const check = collisionChecker();
    expect(check(a, false)).toBeNull();
    expect(check(b, false)).toMatch(/case-insensitive file name collision/);
  });

  it.each([
    ['ss.go', 'ß.go'], // full case folding would merge these; Go's simple folding does not
    ['i.go', 'ı.go'],
    ['a.go', 'b.go'],
  ])('%s and %s do not collide', (a, b) => {
    const check = collisionChecker();
    expect(check(a, false)).toBeNull();
    expect(check(b, false)).toBeNull();
  });
});
