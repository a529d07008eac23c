import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ours } from '../helpers/xmod-ours.js';
import { xmodEval } from '../helpers/xmod.js';

/**
 * Generated module paths, versions, pseudo-versions, `.info` times and go.mod texts go through
 * the real x/mod / Go time.Parse (one xmodeval process, every input a line) and through
 * ameide-pkg; the answers must be identical. Inputs are built from the pieces the rules care
 * about (dots, tildes, /vN, gopkg.in, Windows names, month 13, Feb 29, hour 24, …) so that
 * most of them sit on a rule's edge. XMOD_FUZZ_SEED replays a run.
 */
const SEED = Number(process.env.XMOD_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.XMOD_FUZZ_RUNS ?? 600);

const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const joined = (parts: fc.Arbitrary<string>, max: number) => fc.array(parts, { minLength: 0, maxLength: max }).map((xs) => xs.join(''));
const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

const pathPiece = pick([
  'a', 'z', 'Q', 'Go', '0', '9', '.', '..', '-', '_', '~', '~1', '~0x', '+', '!', '!a', '@', '/', '//', ' ', '"', "'", '*', ':', '\\',
  'é', 'ж', '☺', 'x.y', 'example.com', 'gopkg.in', 'gopkg.in/', 'yaml', '.v0', '.v1', '.v2', '.v01', '-unstable', '/v0', '/v1', '/v2',
  '/v10', '/v02', '/v2.0', 'v', 'con', 'CON', 'aux.', 'com1', 'Lpt9', 'nul.txt', 'prn2', '.git', 'm~1.x', '~1.go', 'z09~09z',
]);
const paths = fc.oneof(
  joined(pathPiece, 8),
  fc.tuple(pick(['example.com', 'gopkg.in', 'x.y', 'Example.com', '-x.y', 'x_y.z']), joined(pathPiece, 5)).map(([a, b]) => `${a}/${b}`),
);

const versionPiece = pick([
  'v', 'v0', 'v1', 'v2', 'v17', 'v01', '0', '1', '10', '01', '.', '.0', '.1', '-', '--', '+', 'pre', 'rc.1', 'alpha', '0.', '00',
  '20060102150405', '20061302150405', '20060230150405', '-hash', '-abcdef123456', '+incompatible', '+meta', 'incompatible', 'é',
]);
const versions = fc.oneof(
  joined(versionPiece, 7),
  fc
    .tuple(
      pick(['v0', 'v1', 'v2', 'v3']),
      pick(['.0.0', '.1.2', '.0.1', '.2.0', '.1']),
      pick(['', '-pre', '-0', '-rc.1', '-pre.0', '-0.']),
      fc.oneof(digits(14, 14), fc.tuple(digits(4, 4), pick(['00', '01', '02', '12', '13']), pick(['00', '01', '28', '29', '30', '31', '32']), pick(['00', '23', '24']), pick(['00', '59', '60']), pick(['00', '59', '60'])).map((p) => p.join(''))),
      pick(['-hash', '-abcdef123456', '-', '-x.y', '']),
      pick(['', '+incompatible', '+meta', '+a.b', '+']),
    )
    .map(([maj, mm, pre, ts, rev, build]) => `${maj}${mm}${pre}${pre.endsWith('.') || pre === '' ? '' : '.'}${ts}${rev}${build}`),
);

const two = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => String(n).padStart(2, '0'));
const times = fc.oneof(
  fc
    .tuple(
      fc.oneof(digits(4, 4), pick(['2024', '2023', '1900', '2000', '2100', '0000', '9999', '202', '20231', '+202', '-202'])),
      fc.oneof(two(0, 13), pick(['1', '001', '1a'])),
      fc.oneof(two(0, 32), pick(['1', '001'])),
      pick(['T', 't', ' ', 'TT']),
      fc.oneof(two(0, 25), pick(['1', '9', '001'])),
      fc.oneof(two(0, 60), pick(['1', '001'])),
      fc.oneof(two(0, 61), pick(['1', '001'])),
      pick(['', '', '.', '.5', ',5', '.000', '.123456789', '.1234567891234', '.1a', ',']),
      pick(['Z', 'Z', 'z', '', '+00:00', '-00:00', '+01:00', '-07:30', '+24:00', '+99:99', '+1:00', '+0100', '+01:0', 'Z ', 'ZZ', '+01:00x']),
    )
    .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`),
  joined(pick(['2023', '-', '01', '02', '29', '30', 'T', ':', '00', '23', '24', '.', '5', 'Z', '+', '01:00', ' ', '9']), 12),
);

const modLine = pick([
  'module example.com/m', 'module example.com/m ', 'module\texample.com/m', 'module "example.com/m"', 'module `example.com/m`',
  "module 'example.com/m'", 'module example.com/m garbage', 'module', 'module example.com/other', 'module "example.com/\\x6d"',
  'module "example.com/m', 'module example.com/m // comment', 'module example.com/m//comment', 'module (', 'module ( example.com/m )',
  'module ()', '  example.com/m', ')', '(', 'go 1.21', 'go 1.21.0', 'go 1.21rc1', 'go 1', 'go v1.2', 'go 1.21 x', 'go "1.21"',
  'require example.com/x v1.0.0', 'require (', 'toolchain go1.21.0', 'foo bar', '// comment', '/* comment */', 'module a/*b*/',
  'module example.com/m\r', '', '\t', 'module é.com/m', 'module example.com/m\f', 'module "a\\u00e9"', 'module "a\\q"', ',', '{',
  'module example.com/m )', 'retract v1.0.0', 'exclude example.com/x v1.0.0', 'module example.com/m\u00a0', 'module a"b',
]);
const goMods = fc.array(modLine, { minLength: 0, maxLength: 6 }).map((ls) => ls.join('\n') + (ls.length ? '\n' : ''));

function sample<T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] {
  return fc.sample(arb, { numRuns: n, seed: SEED + salt });
}

async function compare(requests: { fn: string; in: string[] }[]) {
  const answers = await xmodEval(requests);
  const wrong = answers
    .map((a) => ({ in: a.in, fn: a.fn, xmod: a.out, ours: ours(a.fn, a.in) }))
    .filter((r) => JSON.stringify(r.xmod) !== JSON.stringify(r.ours));
  expect(wrong.slice(0, 20), `seed ${SEED} (XMOD_FUZZ_SEED=${SEED} replays it)`).toEqual([]);
}

describe('generated inputs: ameide-pkg answers as x/mod and Go do', () => {
  it('module, import and file paths; escaping; major-version suffixes', async () => {
    const ps = [...new Set(sample(paths, RUNS * 2, 1))];
    await compare(
      ps.flatMap((p) => [
        { fn: 'CheckPath', in: [p] },
        { fn: 'CheckImportPath', in: [p] },
        { fn: 'CheckFilePath', in: [p] },
        { fn: 'SplitPathVersion', in: [p] },
        { fn: 'EscapePath', in: [p] },
        { fn: 'UnescapePath', in: [p] },
        { fn: 'EscapeVersion', in: [p] },
        { fn: 'UnescapeVersion', in: [p] },
      ]),
    );
  });

  it('semver, pseudo-versions, and path/version pairs (module.Check, MatchPathMajor)', async () => {
    const vs = [...new Set(sample(versions, RUNS * 2, 2))];
    const ps = sample(paths, RUNS, 3);
    const majors = sample(pick(['', '/v2', '/v3', '.v0', '.v1', '.v2', '.v1-unstable', '.v0-unstable', '/v1', 'v2']), RUNS, 4);
    const stamps = sample(digits(14, 14), RUNS, 5);
    await compare([
      ...vs.flatMap((v) =>
        ['IsValid', 'Canonical', 'CanonicalVersion', 'Major', 'MajorMinor', 'Prerelease', 'Build', 'IsPseudoVersion', 'PseudoVersionTime', 'PseudoVersionRev', 'PseudoVersionBase'].map((fn) => ({ fn, in: [v] })),
      ),
      ...vs.map((v, i) => ({ fn: 'Compare', in: [v, vs[(i * 7 + 3) % vs.length]!] })),
      ...vs.map((v, i) => ({ fn: 'MatchPathMajor', in: [v, majors[i % majors.length]!] })),
      ...vs.map((v, i) => ({ fn: 'Check', in: [ps[i % ps.length]!, v] })),
      ...vs.map((v, i) => ({ fn: 'Check', in: [['example.com/m', 'example.com/m/v2', 'gopkg.in/yaml.v1', 'gopkg.in/yaml.v1-unstable', 'gopkg.in/yaml.v0', 'gopkg.in/yaml.v2'][i % 6]!, v] })),
      ...vs.map((v, i) => ({ fn: 'PseudoVersion', in: [['', 'v0', 'v1', 'v2'][i % 4]!, v, stamps[i % stamps.length]!, 'abcdef123456'] })),
    ]);
  });

  it(".info times: Go's time.Parse(time.RFC3339, s) decides, and the stored form is Go's", async () => {
    const ts = [...new Set(sample(times, RUNS * 3, 6))];
    await compare(ts.map((t) => ({ fn: 'TimeParseRFC3339', in: [t] })));
  });

  it('go.mod module and go directives as modfile.ParseLax reads them', async () => {
    const mods = [...new Set(sample(goMods, RUNS * 2, 7))];
    await compare(mods.map((t) => ({ fn: 'ModfileParseLax', in: [t] })));
  });
});
