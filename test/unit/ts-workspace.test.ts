import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { rewriteManifest } from '../../src/languages/ts/stage.js';
import { topoSort, type WorkspacePackage } from '../../src/languages/ts/workspace.js';
import { CliError, EXIT } from '../../src/util/errors.js';

/**
 * The two pure pieces of the npm publish: the manifest a package is published with, and the
 * order packages are published in. npm's own `semver` judges the ranges.
 */
const SDK = '0.12.0-dev.20251106083012.0123456789ab';
const REACT = '0.3.0-dev.20251106083012.0123456789ab';
const internal = new Map([
  ['@ameide/sdk', SDK],
  ['@ameide/sdk-react', REACT],
]);

describe('rewriteManifest', () => {
  const manifest = () => ({
    name: '@ameide/sdk-react',
    version: '0.3.0',
    description: 'x',
    workspaces: ['sub/*'],
    dependencies: { '@ameide/sdk': '^0.12.0', react: '^18.2.0' },
    peerDependencies: { '@ameide/sdk': 'workspace:*', 'react-dom': '>=18' },
    optionalDependencies: { '@ameide/sdk-react': 'workspace:^' },
    devDependencies: { '@ameide/sdk': 'workspace:*', vitest: '^3.0.0' },
    scripts: { build: 'tsc' },
  });

  it('pins every internal dependency in dependencies, peer and optional to the exact snapshot, and says what it changed', () => {
    const { manifest: out, rewritten } = rewriteManifest(manifest(), REACT, internal);
    expect(out.version).toBe(REACT);
    expect(out.dependencies).toEqual({ '@ameide/sdk': SDK, react: '^18.2.0' });
    expect(out.peerDependencies).toEqual({ '@ameide/sdk': SDK, 'react-dom': '>=18' });
    expect(out.optionalDependencies).toEqual({ '@ameide/sdk-react': REACT });
    expect(rewritten).toEqual({
      'dependencies.@ameide/sdk': `^0.12.0 → ${SDK}`,
      'peerDependencies.@ameide/sdk': `workspace:* → ${SDK}`,
      'optionalDependencies.@ameide/sdk-react': `workspace:^ → ${REACT}`,
    });
  });

  it("npm's semver: the original ^range would NOT accept the snapshot prerelease; the pinned one accepts exactly it", () => {
    const { manifest: out } = rewriteManifest(manifest(), REACT, internal);
    // Why pinning is needed at all: a caret range never matches another version's prerelease.
    expect(semver.satisfies(SDK, '^0.12.0')).toBe(false);
    expect(semver.validRange('workspace:*')).toBeNull();
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      for (const [name, range] of Object.entries(out[field] as Record<string, string>)) {
        expect(semver.validRange(range), `${field}.${name}`).not.toBeNull();
        const snap = internal.get(name);
        if (snap) {
          expect(semver.satisfies(snap, range)).toBe(true);
          // Exactly it: not the release, not another snapshot of the same base.
          expect(semver.satisfies(semver.coerce(snap)!.version, range)).toBe(false);
          expect(semver.satisfies(snap.replace('20251106083012', '20251106083013'), range)).toBe(false);
        }
      }
    }
  });

  it('devDependencies are left as written (consumers never install them) and not reported', () => {
    const { manifest: out, rewritten } = rewriteManifest(manifest(), REACT, internal);
    expect(out.devDependencies).toEqual({ '@ameide/sdk': 'workspace:*', vitest: '^3.0.0' });
    expect(Object.keys(rewritten).some((k) => k.startsWith('devDependencies.'))).toBe(false);
  });

  it('drops "workspaces", keeps every other field and the key order (version stays where it was)', () => {
    const { manifest: out } = rewriteManifest(manifest(), REACT, internal);
    expect(out).not.toHaveProperty('workspaces');
    expect(Object.keys(out)).toEqual(['name', 'version', 'description', 'dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies', 'scripts']);
    expect(out.scripts).toEqual({ build: 'tsc' });
    // A manifest without a version gets one, after the existing keys.
    expect(Object.keys(rewriteManifest({ name: 'a' }, '1.0.0', new Map()).manifest)).toEqual(['name', 'version']);
  });

  it('never mutates its input, and adds no dependency field that was not there', () => {
    const input = manifest();
    const before = JSON.stringify(input);
    rewriteManifest(input, REACT, internal);
    expect(JSON.stringify(input)).toBe(before);
    const { manifest: bare, rewritten } = rewriteManifest({ name: '@ameide/sdk', version: '0.12.0' }, SDK, internal);
    expect(bare).toEqual({ name: '@ameide/sdk', version: SDK });
    expect(rewritten).toEqual({});
  });

  it('with no internal packages only the version changes', () => {
    const { manifest: out, rewritten } = rewriteManifest(manifest(), REACT, new Map());
    const { version: _v, workspaces: _w, ...rest } = manifest();
    expect(out).toEqual({ ...rest, version: REACT });
    expect(rewritten).toEqual({});
  });
});

const pkg = (name: string, deps: Partial<Record<'dependencies' | 'peerDependencies' | 'optionalDependencies' | 'devDependencies', string[]>> = {}): WorkspacePackage => ({
  name,
  version: '1.0.0',
  dir: `/repo/${name}`,
  manifest: { name, version: '1.0.0', ...Object.fromEntries(Object.entries(deps).map(([f, ns]) => [f, Object.fromEntries(ns.map((n) => [n, 'workspace:*']))])) },
});
const names = (ps: WorkspacePackage[]) => ps.map((p) => p.name);

describe('topoSort', () => {
  it('every package comes after the internal packages it depends on, through all three dependency fields', () => {
    const ps = [pkg('@s/app', { dependencies: ['@s/ui'] }), pkg('@s/ui', { peerDependencies: ['@s/core'] }), pkg('@s/core', { optionalDependencies: ['@s/util'] }), pkg('@s/util')];
    expect(names(topoSort(ps))).toEqual(['@s/util', '@s/core', '@s/ui', '@s/app']);
  });

  it('independent packages in plain code-unit order (uppercase before lowercase), whatever the input order', () => {
    const ps = [pkg('@s/b'), pkg('@s/a'), pkg('@s/B'), pkg('@s/a-b'), pkg('@s/a.b')];
    expect(names(topoSort(ps))).toEqual(['@s/B', '@s/a', '@s/a-b', '@s/a.b', '@s/b']);
    expect(names(topoSort([...ps].reverse()))).toEqual(names(topoSort(ps)));
  });

  it('external dependencies and devDependencies do not order anything; a devDependency cycle is allowed', () => {
    const ps = [pkg('@s/a', { dependencies: ['react'], devDependencies: ['@s/b'] }), pkg('@s/b', { dependencies: ['@s/a'] })];
    expect(names(topoSort(ps))).toEqual(['@s/a', '@s/b']);
  });

  it('a diamond is published once per package, shared dependency first', () => {
    const ps = [pkg('@s/top', { dependencies: ['@s/left', '@s/right'] }), pkg('@s/right', { dependencies: ['@s/base'] }), pkg('@s/left', { dependencies: ['@s/base'] }), pkg('@s/base')];
    expect(names(topoSort(ps))).toEqual(['@s/base', '@s/left', '@s/right', '@s/top']);
  });

  it('a cycle is a usage error (exit 2) naming the path around it; a self-dependency too', () => {
    const cycle = () => topoSort([pkg('@s/c', { dependencies: ['@s/a'] }), pkg('@s/a', { peerDependencies: ['@s/b'] }), pkg('@s/b', { optionalDependencies: ['@s/c'] })]);
    expect(cycle).toThrow(CliError);
    expect(cycle).toThrow('dependency cycle between workspace packages: @s/a → @s/b → @s/c → @s/a');
    try {
      cycle();
    } catch (err) {
      expect((err as CliError).exitCode).toBe(EXIT.usage);
    }
    expect(() => topoSort([pkg('@s/x'), pkg('@s/self', { dependencies: ['@s/self'] })])).toThrow('dependency cycle between workspace packages: @s/self → @s/self');
  });

  it('the empty workspace sorts to nothing; the input array is not reordered', () => {
    expect(topoSort([])).toEqual([]);
    const ps = [pkg('@s/b', { dependencies: ['@s/a'] }), pkg('@s/a')];
    const copy = [...ps];
    topoSort(ps);
    expect(ps).toEqual(copy);
  });

  it('property: for any DAG in any input order — a permutation of the input, dependencies first, the same order every time', () => {
    const dag = fc
      .integer({ min: 1, max: 9 })
      .chain((n) =>
        fc.tuple(
          fc.uniqueArray(fc.stringMatching(/^[a-zA-Z0-9._-]{1,4}$/), { minLength: n, maxLength: n }),
          // Edges only from a later index to an earlier one: acyclic by construction.
          fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.constantFrom('dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies')), { maxLength: 20 }),
        ),
      )
      .chain(([ns, edges]) => {
        const ps = ns.map((n, i) => pkg(`@s/${n}`, edges.filter(([a, b]) => a > b && a === i).reduce<Record<string, string[]>>((acc, [, b, f]) => ({ ...acc, [f]: [...(acc[f] ?? []), `@s/${ns[b]}`] }), {})));
        return fc.tuple(fc.constant(ps), fc.shuffledSubarray(ps, { minLength: ps.length, maxLength: ps.length }));
      });
    fc.assert(
      fc.property(dag, ([ps, shuffled]) => {
        const out = topoSort(shuffled);
        expect([...names(out)].sort()).toEqual([...names(ps)].sort());
        const at = new Map(out.map((p, i) => [p.name, i]));
        for (const p of out) {
          for (const f of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
            for (const d of Object.keys((p.manifest[f] as Record<string, string> | undefined) ?? {})) expect(at.get(d)!, `${d} before ${p.name}`).toBeLessThan(at.get(p.name)!);
          }
        }
        expect(names(topoSort(ps))).toEqual(names(out));
      }),
      { numRuns: 200 },
    );
  });
});
