import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkUploadFilename, parseDistFilename } from '../../src/registry/python/filename.js';

/**
 * The real `packaging` library (Debian python3-packaging, in the system interpreter) is the
 * judge: every case runs through `parse_wheel_filename` / `parse_sdist_filename` and the same
 * project/version comparison PyPI makes (canonicalize_name equal, Version equal, filetype
 * matching the extension), and our verdict must be the same.
 */
const JUDGE = String.raw`
import json, sys
from packaging.utils import parse_wheel_filename, parse_sdist_filename, canonicalize_name
from packaging.version import Version, InvalidVersion
out = []
for c in json.load(sys.stdin):
    try:
        fn = c["filename"]
        if c["filetype"] == "bdist_wheel":
            name, version, _, _ = parse_wheel_filename(fn)
        elif c["filetype"] == "sdist":
            name, version = parse_sdist_filename(fn)
        else:
            raise ValueError("filetype")
        ok = name == canonicalize_name(c["project"]) and version == Version(c["version"])
    except (ValueError, InvalidVersion):
        ok = False
    out.append(ok)
json.dump(out, sys.stdout)
`;

interface Case {
  filename: string;
  project: string;
  version: string;
  filetype: 'bdist_wheel' | 'sdist';
}

function judge(cases: Case[]): boolean[] {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', JUDGE], { input: JSON.stringify(cases), encoding: 'utf8' })) as boolean[];
}

const wheel = (filename: string, version = '1.4', project = 'rtpkg'): Case => ({ filename, project, version, filetype: 'bdist_wheel' });
const sdist = (filename: string, version = '1.4', project = 'rtpkg'): Case => ({ filename, project, version, filetype: 'sdist' });

const CORPUS: Case[] = [
  // good
  wheel('rtpkg-1.4-py3-none-any.whl'),
  wheel('RtPkg-1.4-py3-none-any.whl'),
  wheel('rtpkg-1.4-1-py3-none-any.whl'),
  wheel('rtpkg-1.4-12abc-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'),
  wheel('rtpkg-1.4-py2.py3-none-any.whl'),
  wheel('rtpkg-1.4.0-py3-none-any.whl'),
  wheel('ameide_sdk-0.1.0.dev20251106083012+ga0e03c2d4532-py3-none-any.whl', '0.1.0.dev20251106083012+ga0e03c2d4532', 'ameide-sdk'),
  wheel('ameide_sdk-0.1.0.dev20251106083012+ga0e03c2d4532-py3-none-any.whl', '0.1.0.dev20251106083012+ga0e03c2d4532', 'Ameide.SDK'),
  wheel('ameide.sdk-0.1.0-py3-none-any.whl', '0.1.0', 'ameide-sdk'),
  wheel('rtpkg-1.4rc1-py3-none-any.whl', '1.4.0-rc.1'),
  wheel('rtpkg-1.4RC1-py3-none-any.whl', '1.4rc1'),
  wheel('rtpkg-1!1.4-py3-none-any.whl', '1!1.4'),
  wheel('rtpkg-1.4.post2-py3-none-any.whl', '1.4-2'),
  wheel('rtpkg-1.4+local_1-py3-none-any.whl', '1.4+local.1'),
  wheel('rtpkg-v1.4-py3-none-any.whl', '1.4'),
  sdist('rtpkg-1.4.tar.gz'),
  sdist('rtpkg-1.4.zip'),
  sdist('RtPkg-1.4.tar.gz'),
  sdist('ameide_sdk-0.1.0.tar.gz', '0.1.0', 'ameide-sdk'),
  sdist('ameide-sdk-0.1.0.tar.gz', '0.1.0', 'ameide_sdk'),
  sdist('ameide.sdk-0.1.0.dev1+g0a1b.tar.gz', '0.1.0.dev1+g0a1b', 'ameide-sdk'),
  sdist('rtpkg-1.4.0.tar.gz'),
  // bad: the review's findings
  wheel('rtpkg-evil-1.4-py3-none-any.whl'),
  wheel('rtpkg-1.5.whl', '1.5'),
  wheel('rtpkg-1.5-py3-none-any.whl', '1.4'),
  sdist('rtpkg-1.5.tar.gz', '1.4'),
  // bad: names
  wheel('other-1.4-py3-none-any.whl'),
  wheel('rtpkg2-1.4-py3-none-any.whl'),
  wheel('rt__pkg-1.4-py3-none-any.whl', '1.4', 'rt-pkg'),
  wheel('-1.4-py3-none-any.whl'),
  sdist('rtpkg-evil-1.4.tar.gz'),
  sdist('other-1.4.tar.gz'),
  sdist('rtpkg.tar.gz'),
  sdist('-1.4.tar.gz'),
  // bad: versions
  wheel('rtpkg-1.4-1-py3-none-any.whl', '1.4-1'),
  wheel('rtpkg-1.4+a-py3-none-any.whl'),
  wheel('rtpkg-1.4-py3-none-any.whl', '1.4+a'),
  wheel('rtpkg-abc-py3-none-any.whl', 'abc'),
  wheel('rtpkg-1.4.-py3-none-any.whl'),
  wheel('rtpkg-1.4-py3-none-any.whl', 'not a version'),
  sdist('rtpkg-1.4a.b.tar.gz'),
  sdist('rtpkg-.tar.gz'),
  // bad: shapes
  wheel('rtpkg-1.4-x-py3-none-any.whl'),
  wheel('rtpkg-1.4-py3-none-any-extra-part.whl'),
  wheel('rtpkg-1.4-py3-none.whl'),
  wheel('rtpkg-1.4-py3-none-any.zip'),
  wheel('rtpkg-1.4-py3-none-any.WHL'),
  wheel('rtpkg-1.4.tar.gz'),
  sdist('rtpkg-1.4-py3-none-any.whl'),
  sdist('rtpkg-1.4.tar.bz2'),
  sdist('rtpkg-1.4.tgz'),
  sdist('rtpkg-1.4'),
];

/**
 * Where we are deliberately stricter than `packaging`: file names become paths on disk and
 * URLs, so they are ASCII from a small set, fit in a directory entry next to their `.json`,
 * and wheel tags have no empty parts. The judge accepts these; we refuse them.
 */
const STRICTER: Case[] = [
  wheel('rtpkg-1.4--none-any.whl'),
  wheel('rtpkg-1.4-py3.-none-any.whl'),
  wheel('\u212Atpkg-1.4-py3-none-any.whl', '1.4', 'ktpkg'), // KELVIN SIGN lower-cases to "k"
  sdist('rtpkg-1.4 .tar.gz'),
  sdist(`rtpkg-1.4.${'0.'.repeat(130)}0.tar.gz`, `1.4.${'0.'.repeat(130)}0`),
];

describe('Python upload file names, judged by packaging', () => {
  it('agrees with packaging on every case of the corpus', () => {
    const expected = judge(CORPUS);
    const ours = CORPUS.map((c) => checkUploadFilename(c.filename, c) === null);
    const disagreements = CORPUS.map((c, i) => ({ ...c, packaging: expected[i], ours: ours[i] })).filter((d) => d.packaging !== d.ours);
    expect(disagreements).toEqual([]);
    // The corpus must exercise both verdicts, or it proves nothing.
    expect(expected.filter(Boolean).length).toBeGreaterThan(15);
    expect(expected.filter((x) => !x).length).toBeGreaterThan(20);
  });

  it('is stricter than packaging only where stated, never looser', () => {
    expect(judge(STRICTER)).toEqual(STRICTER.map(() => true));
    for (const c of STRICTER) expect(checkUploadFilename(c.filename, c), c.filename).not.toBeNull();
  });

  it('names the problem in its message', () => {
    expect(checkUploadFilename('rtpkg-evil-1.4-py3-none-any.whl', { project: 'rtpkg', version: '1.4', filetype: 'bdist_wheel' })).toMatch(/version "evil"/);
    expect(checkUploadFilename('rtpkg-1.5.whl', { project: 'rtpkg', version: '1.5', filetype: 'bdist_wheel' })).toMatch(/\{distribution\}-\{version\}/);
    expect(checkUploadFilename('rtpkg-1.5-py3-none-any.whl', { project: 'rtpkg', version: '1.4', filetype: 'bdist_wheel' })).toMatch(/has version 1\.5, but the version field is 1\.4/);
    expect(checkUploadFilename('other-1.4.tar.gz', { project: 'rtpkg', version: '1.4', filetype: 'sdist' })).toMatch(/project "other", not rtpkg/);
    expect(checkUploadFilename('rtpkg-1.4.tar.gz', { project: 'rtpkg', version: '1.4', filetype: 'bdist_wheel' })).toMatch(/bdist_wheel .* \.whl/);
  });

  it('parses the parts', () => {
    expect(parseDistFilename('Ameide_SDK-1.4-7b-py3-none-any.whl')).toEqual({ kind: 'wheel', name: 'ameide-sdk', version: '1.4', build: '7b', tags: 'py3-none-any' });
    expect(parseDistFilename('ameide-sdk-1.4.zip')).toEqual({ kind: 'sdist', name: 'ameide-sdk', version: '1.4', ext: '.zip' });
  });
});
