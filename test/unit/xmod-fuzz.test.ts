import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ours } from '../helpers/xmod-ours.js';
import { xmodEval, type XmodCase } from '../helpers/xmod.js';

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
/** Mostly `good`, sometimes `bad`: inputs near a rule's edge, on both sides of it. */
const mostly = (good: fc.Arbitrary<string>, bad: fc.Arbitrary<string>, badWeight = 1) =>
  fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: badWeight });

const goodElem = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
  pick(['yaml', 'v2', 'v3', 'x.foo', 'z09~09z', 'z~', 'com', 'prn2', 'calm1', 'a_b', 'a-b', 'A', 'Go', 'sdk.v1', 'm~x']),
);
const badElem = pick(['~1', 'm~1.x', 'a~12', 'CON', 'aux.c', 'com1', 'Lpt9', '.git', 'a.', '..', '', 'é', 'a+b', 'a b', 'a!b', 'a@b', "a'b", 'a:b', 'v1', 'v0', 'v2.0', 'v02']);
const paths = fc.oneof(
  joined(pathPiece, 8),
  fc
    .tuple(
      mostly(pick(['example.com', 'x.y', 'gopkg.in', 'go.packages.dev', 'a-b.c9']), pick(['Example.com', '-x.y', 'x_y.z', 'localhost', 'x.y~1', '.x'])),
      fc.array(mostly(goodElem, badElem), { minLength: 0, maxLength: 4 }),
      mostly(pick(['', '', '/v2', '/v10', '.v0', '.v1', '.v2', '.v1-unstable']), pick(['/v1', '/v0', '/v02', '.v01', '.v0-unstable', '-unstable', '/v2.0'])),
    )
    .map(([d, es, suffix]) => [d, ...es].join('/') + suffix),
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
  { weight: 4, arbitrary: fc
    .tuple(
      mostly(digits(4, 4), pick(['0000', '9999', '202', '20231', '+202', '-202', '2o23'])),
      mostly(two(1, 12), pick(['00', '13', '1', '001', '1a'])),
      mostly(two(1, 28), pick(['00', '29', '30', '31', '32', '1', '001']), 3),
      mostly(pick(['T']), pick(['t', ' ', 'TT', '_'])),
      mostly(two(0, 23), pick(['24', '25', '1', '9', '001'])),
      mostly(two(0, 59), pick(['60', '1', '001'])),
      mostly(two(0, 59), pick(['60', '61', '1', '001'])),
      mostly(pick(['', '', '.5', '.123456789']), pick(['.', ',5', '.000', '.1234567891234', '.1a', ',', '.0'])),
      mostly(pick(['Z', '+00:00', '-07:30', '+05:45']), pick(['z', '', '-00:00', '+24:00', '+99:99', '+1:00', '+0100', '+01:0', 'Z ', 'ZZ', '+01:00x', '−01:00'])),
    )
    .map(([y, mo, d, t, h, mi, s, f, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${f}${z}`) },
  { weight: 1, arbitrary: joined(pick(['2023', '-', '01', '02', '29', '30', 'T', ':', '00', '23', '24', '.', '5', 'Z', '+', '01:00', ' ', '9']), 12) },
);

const modLine = mostly(
  pick([
    'module example.com/m', 'module "example.com/m"', 'module example.com/m // comment', 'module\texample.com/m', 'module example.com/m\r',
    'go 1.21', 'go 1.21.0', 'go 1.21rc1', 'require example.com/x v1.0.0', 'require example.com/x/v2 v2.0.0', 'require example.com/x v1.2',
    '// comment', '', '\t', 'toolchain go1.21.0', 'retract v1.0.0', 'retract [v1.0.0, v1.1.0] // bad', 'exclude example.com/x v1.0.0',
    'foo bar', 'require (', ')', 'module (',
  ]),
  pick([
    'module `example.com/m`', "module 'example.com/m'", 'module example.com/m garbage', 'module', 'module example.com/other', 'module "example.com/\\x6d"',
    'module "example.com/m', 'module example.com/m//comment', 'module ( example.com/m )', 'module ()', '  example.com/m', '(', 'go 1', 'go v1.2',
    'go 1.21 x', 'go "1.21"', 'go 01.2', '/* comment */', 'module a/*b*/', 'module é.com/m', 'module example.com/m\f', 'module "a\\u00e9"',
    'module "a\\q"', 'module "a\\xff"', 'module "a\\377"', 'module "a\\400"', ',', '{', 'module example.com/m )', 'module example.com/m\u00a0', 'module a"b',
    'require example.com/x master', 'require example.com/x v2.0.0', 'require example.com/x/v2 v1.0.0', 'require example.com/x/v1 v1.0.0',
    'require "example.com/x" "v1.0.0"', 'require example.com/x', 'retract', 'replace a => b',
  ]),
);
const goMods = fc.array(modLine, { minLength: 0, maxLength: 6 }).map((ls) => ls.join('\n') + (ls.length ? '\n' : ''));

/** JSON with sorted keys: Go writes map keys sorted, and key order means nothing here. */
export function canon(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

const oddValue = pick(['null', '5', 'true', '{}', '[]', '{"a":[1,{"b":"}"}]}', '"2023-01-01T00:00:00\\u005a"', '"v1.0.\\u0030"', '""']);
const member = (keys: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc.tuple(keys, mostly(value, oddValue)).map(([k, v]) => `${JSON.stringify(k).replace(/\\\\/g, '\\')}:${v}`);
const infos = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        member(mostly(pick(['Version']), pick(['version', 'VERSION', 'Verſion', 'Versi\u00f3n', 'Versio', 'V\\u0065rsion'])), pick(['v1.0.0', 'v0.0.0-20251106082752-a0e03c2d4532']).map((v) => JSON.stringify(v))),
        member(mostly(pick(['Time']), pick(['time', 'TIME', 'Tim', 'Times', 'T\\u0069me'])), times.map((t) => JSON.stringify(t))),
        fc.array(member(pick(['Version', 'Time', 'Origin', 'Short', 'x']), fc.oneof(times, pick(['v2.0.0'])).map((t) => JSON.stringify(t))), { maxLength: 2 }),
        fc.boolean(),
      )
      .map(([v, t, extra, flip]) => `{${(flip ? [t, v, ...extra] : [v, ...extra, t]).join(',')}}`),
  },
  { weight: 1, arbitrary: pick(['null', ' null ', '[]', '"x"', '{', '{"Version":"v1.0.0",}', ' {"Time" : "2023-01-01T00:00:00Z" } ', '\ufeff{}', '{}']) },
);

function sample<T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] {
  return fc.sample(arb, { numRuns: n, seed: SEED + salt });
}

async function compare(requests: { fn: string; in: string[] }[]) {
  const answers = await xmodEval(requests);
  const wrong = answers
    .map((a) => ({ in: a.in, fn: a.fn, xmod: a.out, ours: ours(a.fn, a.in) }))
    .filter((r) => canon(r.xmod) !== canon(r.ours));
  expect(wrong.slice(0, 20), `seed ${SEED} (XMOD_FUZZ_SEED=${SEED} replays it)`).toEqual([]);
  return answers;
}

/** The generated inputs must land on both sides of a rule, or agreeing would prove little. */
function bothSides(answers: XmodCase[], fn: string, yes: (out: unknown) => boolean, min = 0.05) {
  const outs = answers.filter((a) => a.fn === fn).map((a) => yes(a.out));
  const share = outs.filter(Boolean).length / outs.length;
  if (process.env.XMOD_FUZZ_DEBUG) console.log(fn, outs.length, share.toFixed(3));
  expect(share, `${fn}: share of accepted inputs`).toBeGreaterThan(min);
  expect(share, `${fn}: share of accepted inputs`).toBeLessThan(1 - min);
}

describe('generated inputs: ameide-pkg answers as x/mod and Go do', () => {
  it('module, import and file paths; escaping; major-version suffixes', async () => {
    const ps = [...new Set(sample(paths, RUNS * 2, 1))];
    const answers = await compare(
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
    bothSides(answers, 'CheckPath', (o) => o === true);
    bothSides(answers, 'CheckImportPath', (o) => o === true);
    bothSides(answers, 'CheckFilePath', (o) => o === true);
  });

  it("path.Clean (the zip checks' cleanliness rule): every string of up to 7 of 'a', '.', '/', and some with other characters", async () => {
    const alphabet = ['a', '.', '/'];
    let all = [''];
    for (let frontier = [''], n = 0; n < 7; n++) all = all.concat((frontier = frontier.flatMap((p) => alphabet.map((c) => p + c))));
    const extra = ['é/./ж', '/../é', 'a/☺/../b/', '..é', '.é.', 'é..', '//é//'];
    const answers = await compare([...all, ...extra].map((p) => ({ fn: 'PathClean', in: [p] })));
    // Both sides of the rule: clean inputs (Clean returns them as they are) and unclean ones.
    const clean = answers.filter((a) => a.out === a.in[0]).length;
    expect(clean).toBeGreaterThan(100);
    expect(answers.length - clean).toBeGreaterThan(100);
  });

  it('semver, pseudo-versions, and path/version pairs (module.Check, MatchPathMajor)', async () => {
    const vs = [...new Set(sample(versions, RUNS * 2, 2))];
    const ps = sample(paths, RUNS, 3);
    const majors = sample(pick(['', '/v2', '/v3', '.v0', '.v1', '.v2', '.v1-unstable', '.v0-unstable', '/v1', 'v2']), RUNS, 4);
    // PseudoVersion takes a time.Time: only real times can be handed to it.
    const stamps = sample(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), RUNS, 5).map((d) =>
      d.toISOString().slice(0, 19).replace(/[-T:]/g, ''),
    );
    const answers = await compare([
      ...vs.flatMap((v) =>
        ['IsValid', 'Canonical', 'CanonicalVersion', 'Major', 'MajorMinor', 'Prerelease', 'Build', 'IsPseudoVersion', 'PseudoVersionTime', 'PseudoVersionRev', 'PseudoVersionBase'].map((fn) => ({ fn, in: [v] })),
      ),
      ...vs.map((v, i) => ({ fn: 'Compare', in: [v, vs[(i * 7 + 3) % vs.length]!] })),
      ...vs.map((v, i) => ({ fn: 'MatchPathMajor', in: [v, majors[i % majors.length]!] })),
      ...vs.map((v, i) => ({ fn: 'Check', in: [ps[i % ps.length]!, v] })),
      ...vs.map((v, i) => ({ fn: 'Check', in: [['example.com/m', 'example.com/m/v2', 'gopkg.in/yaml.v1', 'gopkg.in/yaml.v1-unstable', 'gopkg.in/yaml.v0', 'gopkg.in/yaml.v2'][i % 6]!, v] })),
      ...vs.map((v, i) => ({ fn: 'PseudoVersion', in: [['', 'v0', 'v1', 'v2'][i % 4]!, v, stamps[i % stamps.length]!, 'abcdef123456'] })),
    ]);
    bothSides(answers, 'IsValid', (o) => o === true);
    bothSides(answers, 'IsPseudoVersion', (o) => o === true, 0.02);
    bothSides(answers, 'Check', (o) => o === true, 0.02);
    bothSides(answers, 'MatchPathMajor', (o) => o === true, 0.02);
    // Pseudo-versions whose time stamp is no real time (month 13, Feb 30, hour 24) exist too.
    const pseudo = answers.filter((a) => a.fn === 'PseudoVersionRev' && a.out !== null).map((a) => a.in[0]);
    const timed = new Set(answers.filter((a) => a.fn === 'PseudoVersionTime' && a.out !== null).map((a) => a.in[0]));
    expect(pseudo.filter((v) => !timed.has(v)).length).toBeGreaterThan(0);
    expect(timed.size).toBeGreaterThan(0);
  });

  it(".info times: Go's time.Parse(time.RFC3339, s) decides, and the stored form is Go's", async () => {
    const ts = [...new Set(sample(times, RUNS * 3, 6))];
    const answers = await compare(ts.map((t) => ({ fn: 'TimeParseRFC3339', in: [t] })));
    bothSides(answers, 'TimeParseRFC3339', (o) => o !== null);
  });

  it('.info documents as cmd/go decodes them (json.Unmarshal into Version and Time)', async () => {
    const docs = [...new Set(sample(infos, RUNS * 2, 8))];
    const answers = await compare(docs.map((d) => ({ fn: 'InfoUnmarshal', in: [d] })));
    bothSides(answers, 'InfoUnmarshal', (o) => o !== null && (o as { time: unknown }).time !== null);
  });

  it('go.mod module and go directives as modfile.ParseLax reads them', async () => {
    const mods = [...new Set(sample(goMods, RUNS * 2, 7))];
    const answers = await compare(mods.map((t) => ({ fn: 'ModfileParseLax', in: [t] })));
    bothSides(answers, 'ModfileParseLax', (o) => o !== null && (o as { module: unknown }).module !== null);
  });
});
