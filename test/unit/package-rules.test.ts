import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { languageById } from '../../src/languages/index.js';
import { npmNameProblem } from '../../src/languages/ts/package-name.js';
import { parseState, serializeState } from '../../src/state/files.js';
import { RULES, sampleRecord } from '../helpers/state.js';

const PACKAGE_RULES = { ts: languageById('ts').record.checkPackage, python: languageById('python').record.checkPackage, go: languageById('go').record.checkPackage };

/** The validate-npm-package-name that the installed npm itself uses: the judge for npm names. */
function npmsValidator(): (name: string) => { validForNewPackages: boolean } {
  const root = execFileSync('npm', ['root', '-g'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return createRequire(import.meta.url)(join(root, 'npm', 'node_modules', 'validate-npm-package-name'));
}

const NAMES = [
  '@ameide/sdk', '@ameide/sdk-react', 'ameide-sdk', 'a', 'a.b_c-d', '', ' a', 'a ', '.a', '_a', '-a', 'A', '@Ameide/sdk',
  'node_modules', 'favicon.ico', 'http', 'fs/promises', 'node:test', 'a~b', "a'b", '@s/a!b', 'a/b', '@s/.a', '@/a', '@s/',
  '../../etc/passwd', 'file:../x', 'a%20b', 'a\nb', 'x'.repeat(214), 'x'.repeat(215), '@s/a/b', 'caf\u00e9',
];

describe('npm package names: the port agrees with validate-npm-package-name as npm bundles it', () => {
  const validate = npmsValidator();
  it('on edge cases', () => {
    for (const n of NAMES) expect(npmNameProblem(n) === null, JSON.stringify(n)).toBe(validate(n).validForNewPackages);
  });
  it('on generated names', () => {
    const char = fc.constantFrom(...'ab1-._~!*()\'@/ A%:é'.split(''));
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }).map((cs) => cs.join('')), (n) => (npmNameProblem(n) === null) === validate(n).validForNewPackages),
      { numRuns: 3000 },
    );
  });
});

describe('Python distribution names: the rule agrees with packaging (PEP 508)', () => {
  it('on edge cases', () => {
    const names = ['ameide-sdk', 'Ameide_Hatch.SDK', 'a', '1', 'a-', '-a', '.a', 'a..b', 'a b', 'a\n--extra-index-url http://x', 'a==1', 'a[x]', 'a;b', 'é', ''];
    const script = `import json,sys
from packaging.requirements import Requirement, InvalidRequirement
out=[]
for n in json.load(sys.stdin):
    try:
        r=Requirement(n); out.append(r.name==n and not r.extras and not str(r.specifier) and r.url is None and r.marker is None)
    except InvalidRequirement:
        out.append(False)
print(json.dumps(out))`;
    const judged = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(names), encoding: 'utf8' })) as boolean[];
    names.forEach((n, i) => expect(PACKAGE_RULES.python(n, '1.0') === null, JSON.stringify(n)).toBe(judged[i]));
  });
});

describe('PACKAGE_RULES', () => {
  it.each([
    ['ts', '@ameide/sdk', '0.12.0-dev.20251106083012.g012345678901', null],
    ['ts', '@ameide/sdk', '0.12.0-dev.20251106083012.012345678901', /not a valid semver version/], // npm would rewrite it
    ['ts', '@ameide/sdk', 'file:../../etc', /not a valid semver version/],
    ['ts', '@ameide/sdk', 'v1.2.3', /not a valid semver version/],
    ['python', 'ameide-sdk', '0.1.0.dev20251106083012+g0123456789ab', null],
    ['python', 'ameide-sdk', '1.0\n--index-url', /not a valid PEP 440 version/],
    ['go', 'go.packages.dev.ameide.io/ameide-sdk-go', 'v0.0.0-20251106083012-0123456789ab', null],
    ['go', 'example.com/m/v2', 'v2.1.0', null],
    ['go', 'example.com/m/v2', 'v1.0.0', /requires v2/],
    ['go', 'example.com/m', 'latest', /not a canonical Go version/],
    ['go', 'example.com/m', 'v1.2', /not a canonical Go version/],
    ['go', 'Example.com/../../x', 'v1.0.0', /not a valid Go module path/],
  ] as const)('%s %j %j', (lang, name, version, want) => {
    const got = PACKAGE_RULES[lang](name, version);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatch(want);
  });

  it('parseState refuses a record whose top-level version is not valid either, on one line', () => {
    const r = { ...sampleRecord('go', 1), version: 'master' };
    const parsed = parseState(serializeState(r), RULES, 'go');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/^an invalid state record: version: "master" is not a canonical Go version/);
    const evil = { ...sampleRecord('python', 1), packages: [{ ...sampleRecord('python', 1).packages[0]!, name: 'a\nb' }] };
    const p2 = parseState(serializeState(evil), RULES);
    expect(!p2.ok && p2.reason).toMatch(/^[^\n]*"a\\nb" is not a valid Python distribution name[^\n]*$/);
  });
});
