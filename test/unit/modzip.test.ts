import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yauzl from 'yauzl';
import { describe, expect, it } from 'vitest';
import { buildModuleZip } from '../../src/gomod/zip-create.js';
import { checkFiles, isVendoredPackage } from '../../src/gomod/zip-files.js';
import { CliError } from '../../src/util/errors.js';
import { goCheckFiles, refCreateZip, refHashZip } from '../helpers/go.js';
import { invalidGoFixtures, materializeGoFixture, validGoFixtures } from '../helpers/gomod-fixtures.js';
import { tempDir, scratchDirs } from '../helpers/repo.js';

const VERSION = 'v0.0.0-20251106082752-a0e03c2d4532';
const { track } = scratchDirs();

function entryNames(zip: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zip, { lazyEntries: true }, (err, zf) => {
      if (err || !zf) return reject(err);
      const names: string[] = [];
      zf.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zf.readEntry();
      });
      zf.on('end', () => resolve(names.sort()));
      zf.readEntry();
    });
  });
}

function moduleOf(dir: string, name: string): string {
  const m = /^module\s+(\S+)/m.exec((() => {
    try {
      return readFileSync(join(dir, 'go.mod'), 'utf8');
    } catch {
      return '';
    }
  })());
  return m ? m[1]! : `example.com/${name}`;
}

describe('buildModuleZip matches x/mod CreateFromDir', () => {
  const valid = validGoFixtures();
  it('has at least 12 valid fixture trees and several invalid ones', () => {
    expect(valid.length).toBeGreaterThanOrEqual(12);
    expect(invalidGoFixtures().length).toBeGreaterThanOrEqual(4);
  });

  it.each(valid)('%s: same file set and same h1 as Go', async (name) => {
    const dir = materializeGoFixture(name);
    track(join(dir, '..'));
    const module = moduleOf(dir, name);
    const out = tempDir();
    track(out);
    const ours = await buildModuleZip(dir, module, VERSION, join(out, 'ours.zip'));
    const ref = refCreateZip(module, VERSION, dir, join(out, 'ref.zip'));
    if (name === 'vendor-go124') {
      // Debian's x/mod 0.7.0 predates the go >= 1.24 rules: assert them directly instead.
      const names = (await entryNames(ours.path)).map((n) => n.slice(`${module}@${VERSION}/`.length));
      expect(names).not.toContain('vendor/modules.txt');
      expect(names).toContain('pkg/vendor/vendor.go');
      expect(names).not.toContain('pkg/vendor/foo/foo.go');
      expect(names).not.toContain('vendor/example.com/x/x.go');
      expect(refHashZip(ours.path)).toBe(ours.h1);
      return;
    }
    expect(ref.ok, ref.error).toBe(true);
    expect(await entryNames(ours.path)).toEqual(await entryNames(join(out, 'ref.zip')));
    expect(ours.h1).toBe(ref.h1);
    // Go's own HashZip over OUR zip agrees too: no directory entries, same content.
    expect(refHashZip(ours.path)).toBe(ours.h1);
  });

  it.each(invalidGoFixtures())('%s: refused by both, before anything is written', async (name) => {
    const dir = materializeGoFixture(name);
    track(join(dir, '..'));
    const module = moduleOf(dir, name);
    const out = tempDir();
    track(out);
    const ref = refCreateZip(module, VERSION, dir, join(out, 'ref.zip'));
    expect(ref.ok).toBe(false);
    const err = await buildModuleZip(dir, module, VERSION, join(out, 'ours.zip')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/cannot be zipped/);
    expect(() => readFileSync(join(out, 'ours.zip'))).toThrow();
  });
});

describe('isVendoredPackage (x/mod, keyed on the go directive)', () => {
  it.each([
    ['vendor/modules.txt', '1.23', false],
    ['vendor/modules.txt', '1.24', true],
    ['vendor/modules.txt', '1.24.1', true],
    ['vendor/x/y.go', '1.21', true],
    ['vendor/y.go', '1.21', false],
    ['pkg/vendor/vendor.go', '1.21', true],
    ['pkg/vendor/vendor.go', '1.24', false],
    ['pkg/vendor/foo/foo.go', '1.24', true],
    ['novendor/x.go', '1.24', false],
  ] as const)('%s with go %s → %s', (name, v, want) => {
    expect(isVendoredPackage(name, v)).toBe(want);
  });
});

describe('file path cleanliness (x/mod path.Clean + path.IsAbs, one rule shared with the zip check)', () => {
  // A directory walk never yields such paths; a file list can, and x/mod's CheckFiles judges
  // them in a fixed order: not clean, then not relative, then vendored, then CheckFilePath.
  // "../vendor/a/b.go" is clean by path.Clean, so x/mod omits it as vendored rather than
  // refusing it as unclean.
  it('sorts unclean, rooted and dot-dot paths into valid / omitted / invalid as CheckFiles does', async () => {
    const names = ['go.mod', 'ok.go', './a.go', '/abs.go', 'a//b.go', 'd/../e.go', 'f/', '../c.go', '../vendor/a/b.go', 'g/./h.go', '..', '.'];
    const txtar = join(track(tempDir('clean-')), 'files.txtar');
    writeFileSync(txtar, names.map((n) => `-- ${n} --\nx\n`).join(''));
    const go = await goCheckFiles(txtar);
    const ours = checkFiles(names.map((path) => ({ path, abs: '', kind: 'file' as const, size: 2 })), '');
    const paths = (xs: { path: string }[] | null) => (xs ?? []).map((x) => x.path);
    expect(ours.valid.map((v) => v.path)).toEqual(go.valid ?? []);
    expect(paths(ours.omitted)).toEqual(paths(go.omitted));
    expect(paths(ours.invalid)).toEqual(paths(go.invalid));
  });
});

describe('zip writer paths', () => {
  it('streamed large files (data descriptor), stored incompressible files and empty files read back in Go and in our inspector', async () => {
    const { randomBytes } = await import('node:crypto');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { STREAM_THRESHOLD } = await import('../../src/gomod/zip-writer.js');
    const { inspectModuleZip } = await import('../../src/gomod/zip-check.js');
    const dir = track(tempDir('zipw-'));
    const src = join(dir, 'src');
    mkdirSync(src);
    const module = 'example.com/zipwriter';
    writeFileSync(join(src, 'go.mod'), `module ${module}\n\ngo 1.21\n`);
    writeFileSync(join(src, 'big.txt'), Buffer.alloc(STREAM_THRESHOLD + 12345, 'go module zip '));
    writeFileSync(join(src, 'bigrandom.bin'), randomBytes(STREAM_THRESHOLD + 1));
    writeFileSync(join(src, 'random.bin'), randomBytes(4096));
    writeFileSync(join(src, 'empty.go'), '');
    const ours = await buildModuleZip(src, module, VERSION, join(dir, 'ours.zip'));
    const ref = refCreateZip(module, VERSION, src, join(dir, 'ref.zip'));
    expect(ours.h1).toBe(ref.h1);
    // archive/zip checks every CRC while HashZip reads the entries.
    expect(refHashZip(ours.path)).toBe(ours.h1);
    expect((await inspectModuleZip(ours.path, module, VERSION, 1 << 30)).h1).toBe(ours.h1);
  });
});
