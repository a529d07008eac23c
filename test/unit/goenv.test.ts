import { describe, expect, it } from 'vitest';
import { checkGoEnv, matchPrefixPatterns } from '../../src/languages/go/goenv.js';

const MOD = 'go.packages.dev.ameide.io/ameide-sdk-go';

describe('matchPrefixPatterns (x/mod semantics)', () => {
  it('matches globs against as many leading path elements as the pattern has', () => {
    expect(matchPrefixPatterns('go.packages.dev.ameide.io', MOD)).toBe(true);
    expect(matchPrefixPatterns('go.packages.dev.ameide.io/*', MOD)).toBe(true);
    expect(matchPrefixPatterns('*.ameide.io', MOD)).toBe(true);
    expect(matchPrefixPatterns('example.com, *.dev.ameide.io ', MOD)).toBe(true);
    expect(matchPrefixPatterns('go.packages.dev.ameide.io/other', MOD)).toBe(false);
    expect(matchPrefixPatterns('ameide.io', MOD)).toBe(false);
    expect(matchPrefixPatterns('go.packages.dev.ameide.io/ameide-sdk-go/sub', MOD)).toBe(false);
    expect(matchPrefixPatterns('', MOD)).toBe(false);
    expect(matchPrefixPatterns(undefined, MOD)).toBe(false);
  });
});

describe('checkGoEnv', () => {
  const ids = (env: NodeJS.ProcessEnv) => checkGoEnv(env, [MOD]).map((f) => f.id);
  it('GONOPROXY defaults to GOPRIVATE; none turns the bypass off', () => {
    expect(ids({ GOPRIVATE: '*.ameide.io', GOWORK: 'off' })).toEqual(['go.goprivate-bypass']);
    expect(ids({ GOPRIVATE: '*.ameide.io', GONOPROXY: 'none', GOWORK: 'off' })).toEqual([]);
    expect(ids({ GONOPROXY: MOD, GONOSUMDB: MOD, GOWORK: 'off' })).toEqual(['go.goprivate-bypass']);
  });
  it('the checksum database must be told about the private modules unless it is off', () => {
    expect(ids({ GOWORK: 'off' })).toEqual(['go.sumdb']);
    expect(ids({ GOWORK: 'off', GOSUMDB: 'off' })).toEqual([]);
    expect(ids({ GOWORK: 'off', GONOSUMDB: 'go.packages.dev.ameide.io' })).toEqual([]);
    expect(checkGoEnv({}, [MOD]).find((f) => f.id === 'go.sumdb')!.fix).toBe('export GONOSUMDB=go.packages.dev.ameide.io');
  });
  it('GOWORK must be off', () => {
    expect(ids({ GOSUMDB: 'off', GOWORK: '/repo/go.work' })).toEqual(['go.gowork']);
  });
});
