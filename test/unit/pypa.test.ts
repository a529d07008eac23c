import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isValidProjectName, normalizePep440, normalizeProjectName, parseDistFilename, pep440Equal, versionFromFileName } from '../../src/pypa/index.js';

/**
 * src/pypa against the real `packaging` (the library pip and PyPI use, in the system
 * interpreter): every input goes through both, and the answers must be equal (or, where
 * stated, ours stricter, never looser).
 */
const JUDGE = String.raw`
import json, sys
from packaging.utils import canonicalize_name, parse_wheel_filename, parse_sdist_filename
from packaging.requirements import Requirement, InvalidRequirement
from packaging.version import Version, InvalidVersion
def version(v):
    try: return str(Version(v))
    except InvalidVersion: return None
def valid_name(n):
    # A bare name is a requirement whose name is all of it (PEP 508's name rule).
    try: return Requirement(n).name == n
    except InvalidRequirement: return False
def parse(fn):
    try:
        if fn.endswith(".whl"):
            name, v, _, _ = parse_wheel_filename(fn)
        else:
            name, v = parse_sdist_filename(fn)
        return [name, str(v)]
    except ValueError:
        return None
q = json.load(sys.stdin)
json.dump({
    "canonical": [canonicalize_name(n) for n in q["names"]],
    "valid": [valid_name(n) for n in q["names"]],
    "version": [version(v) for v in q["versions"]],
    "parse": [parse(f) for f in q["files"]],
}, sys.stdout)
`;

const NAMES = ['Django', 'oslo.concurrency', 'Foo__Bar..baz', 'a-_.-b', 'A', '0', 'ameide-sdk', 'Ameide.SDK', 'x_', '_x', '-', '', 'a b', 'a!b', 'ab1-', '\u212Atpkg', '\u017Fx', 'ÄÖÜ', 'name\n'];
const VERSIONS = ['1.4', '1.4.0', 'v1.4', 'V1.4', '1.4RC1', '1.4-2', '1!1.0rc1.post2.dev3+ab.01-c', '1.0+g1_2', '0.1.0.dev20251106083012+ga0e03c2d4532', '1.0a', '1.0.dev', ' 1.4 ', '\t1.4\n', '\x1c1.4', '\x851.4', '\ufeff1.4', '\xa01.4 ', '1.4-', 'abc', '1.4.', '', '1.0+', '1..0'];
const FILES = [
  'rtpkg-1.4-py3-none-any.whl',
  'RtPkg-1.4RC1-py3-none-any.whl',
  'rtpkg-1.4-1-py3-none-any.whl',
  'rtpkg-1.4-12abc-cp311-cp311-manylinux_2_17_x86_64.whl',
  'rtpkg-1.4-x-py3-none-any.whl',
  'rtpkg-1.4-\u0661-py3-none-any.whl', // ARABIC-INDIC DIGIT ONE: Python's \d is Unicode
  'rtpkg-1.4--none-any.whl',
  'rtpkg-1.4-py3.-none-any.whl',
  'rtpkg-1.4-py3-none.whl',
  'rtpkg-1.4-py3-none-any-extra-part.whl',
  'rt__pkg-1.4-py3-none-any.whl',
  'rt.pkg-1.4-py3-none-any.whl',
  'rtpkg-abc-py3-none-any.whl',
  'ÄÖÜ-1.4-py3-none-any.whl',
  '\u212Atpkg-1.4-py3-none-any.whl',
  'rt\u0301pkg-1.4-py3-none-any.whl', // a combining mark is not \w
  'rt\n-1.4-py3-none-any.whl', // Python's $ matches before a final newline
  '-1.4-py3-none-any.whl',
  'rtpkg-1.4.tar.gz',
  'rtpkg-1.4.zip',
  'Ameide_SDK-0.1.0.dev1+g0a1b.tar.gz',
  'ameide-sdk-0.1.0.tar.gz',
  'rtpkg-evil-1.4.tar.gz',
  'rtpkg.tar.gz',
  '-1.4.tar.gz',
  'rtpkg-.tar.gz',
  'rtpkg-1.4 .tar.gz',
  'rtpkg-1.4.tar.bz2',
  'rtpkg-1.4.tgz',
  'rtpkg-1.4.WHL',
];

const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', JUDGE], { input: JSON.stringify({ names: NAMES, versions: VERSIONS, files: FILES }), encoding: 'utf8' })) as {
  canonical: string[];
  valid: boolean[];
  version: (string | null)[];
  parse: ([string, string] | null)[];
};

describe('src/pypa, judged by packaging', () => {
  it('normalizeProjectName is canonicalize_name', () => {
    expect(NAMES.map(normalizeProjectName)).toEqual(py.canonical);
  });

  it('isValidProjectName agrees with PEP 508 as packaging’s Requirement reads a name, never looser', () => {
    // Debian's packaging 23 tokenizer also takes a trailing "_" (PEP 508's own rule and
    // packaging >= 24 do not); newer packaging's canonicalize_name(validate=True) also takes
    // the Kelvin sign and long s through IGNORECASE, which we refuse (names become paths).
    const stricter = ['x_'];
    expect(NAMES.filter((n, i) => isValidProjectName(n) !== py.valid[i])).toEqual(stricter);
    for (const n of stricter) expect(py.valid[NAMES.indexOf(n)]).toBe(true);
    expect(isValidProjectName('\u212Atpkg') || isValidProjectName('\u017Fx')).toBe(false);
    expect(py.valid.filter(Boolean).length).toBeGreaterThan(5);
    expect(py.valid.filter((x) => !x).length).toBeGreaterThan(5);
  });

  it('normalizePep440 prints what str(Version(v)) prints, null where Version raises', () => {
    expect(VERSIONS.map(normalizePep440)).toEqual(py.version);
    expect(py.version.filter((v) => v === null).length).toBeGreaterThan(3);
  });

  it('parseDistFilename reads wheel and sdist names as parse_wheel_filename / parse_sdist_filename do', () => {
    const ours = FILES.map((f) => {
      const p = parseDistFilename(f);
      return 'error' in p ? null : [p.name, normalizePep440(p.version)];
    });
    expect(FILES.map((f, i) => [f, ours[i]])).toEqual(FILES.map((f, i) => [f, py.parse[i]]));
    expect(py.parse.filter((x) => x === null).length).toBeGreaterThan(8);
    expect(py.parse.filter((x) => x !== null).length).toBeGreaterThan(8);
  });

  it('versionFromFileName is the normalised version packaging reads from a file name, null for anything else', () => {
    expect(FILES.map(versionFromFileName)).toEqual(py.parse.map((p) => p?.[1] ?? null));
    expect(versionFromFileName('README.md')).toBeNull();
  });

  it('pep440Equal compares as Version(a) == Version(b)', () => {
    expect(pep440Equal('1.4', '1.4.0')).toBe(true);
    expect(pep440Equal('1.4RC1', '1.4rc1')).toBe(true);
    expect(pep440Equal('1.4', '1.4.post1')).toBe(false);
    expect(pep440Equal('1.4', 'abc')).toBe(false);
  });
});
