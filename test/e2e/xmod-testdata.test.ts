import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModuleZip } from '../../src/gomod/zip-create.js';
import { checkFiles, selectModuleFiles } from '../../src/gomod/zip-files.js';
import { startRegistry } from '../../src/registry/server.js';
import { inspectModuleZip } from '../../src/gomod/zip-check.js';
import { goCheckDir, goCheckFiles, goCheckTxtarZip, goCreateFiles, goTxtarZip, refCreateZip } from '../helpers/go.js';
import { postUpload } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { materializeTxtar, parseTxtar, type Txtar } from '../helpers/txtar.js';

/**
 * x/mod's own zip test cases (Debian ships them with golang-golang-x-mod-dev) run through
 * ameide-pkg's zip builder and the registry's inspector. The expected answer of every case
 * comes from running the x/mod function on the same input (test/helpers/go/modzipref); the
 * "want"/"hash=" lines in the files are not used.
 *
 *  - check_zip/, unzip/: the archive's files are zipped by Go's archive/zip writer (as x/mod's
 *    tests do), judged by CheckZip + HashZip, and uploaded to a real registry.
 *  - create_from_dir/: materialized as a directory, zipped by x/mod CreateFromDir and by our
 *    builder; then our zip goes through the registry's inspector too.
 *  - create/: x/mod Create over the file list. Lists a directory can hold go through our builder;
 *    dup_file and dup_file_and_dir cannot exist on a file system, so they are checked with the
 *    builder's pure file check (checkFiles), which is what sees such lists.
 *  - check_files/, check_dir/: the valid / omitted / invalid path sets of CheckFiles and CheckDir
 *    against checkFiles and selectModuleFiles.
 *  Not applicable, by design: unzip's extraction to disk (the registry never unzips), and the
 *  exact wording of x/mod's messages. Rules newer than Debian's x/mod 0.7.0 (go >= 1.24:
 *  vendor/modules.txt omitted, the /vendor/ offset fixed) cannot be judged by it; every case
 *  here has no go directive or `go 1.13`, where our builder applies the old rules x/mod 0.7.0
 *  has, so all cases apply. A module path given as raw byte \xff reaches Go byte-exact
 *  (read from the file) but our side as the string "ÿ": both refuse it.
 */
const TESTDATA = '/usr/share/gocode/src/golang.org/x/mod/zip/testdata';
const { tmp } = scratchDirs();
const cases = (dir: string) => readdirSync(join(TESTDATA, dir)).filter((f) => f.endsWith('.txt')).sort().map((f) => [`${dir}/${f}`] as const);

function goModOf(t: Txtar, prefix = ''): string | undefined {
  return t.files.find((f) => f.name === `${prefix}go.mod`)?.data.toString('utf8');
}

describe('x/mod zip testdata: module zips through the registry', () => {
  it.each([...cases('check_zip'), ...cases('unzip')])('%s', async (rel) => {
    const file = join(TESTDATA, rel);
    const t = parseTxtar(file);
    const module = t.params.path!;
    const version = t.params.version!;
    const zip = join(tmp('xmod-zip-'), 'case.zip');
    await goTxtarZip(file, zip);
    const go = await goCheckTxtarZip(file, zip);
    const root = tmp('xmod-reg-');
    const reg = await startRegistry({ storage: root });
    try {
      const res = await postUpload(reg.url, {
        module,
        version,
        info: JSON.stringify({ Version: version, Time: '2025-01-01T00:00:00Z' }),
        mod: goModOf(t, `${module}@${version}/`) ?? `module ${module}\n`,
        zip: readFileSync(zip),
      });
      const why = `Go: ${JSON.stringify(go)}\nregistry: ${res.status} ${JSON.stringify(res.body)}`;
      expect(res.status, why).toBe(go.ok ? 201 : 400);
      if (go.ok) expect(res.body.h1, why).toBe(go.h1);
    } finally {
      await reg.close();
    }
  });
});

describe('x/mod zip testdata: our builder against CreateFromDir and Create', () => {
  it.each(cases('create_from_dir'))('%s', async (rel) => {
    const t = parseTxtar(join(TESTDATA, rel));
    const module = t.params.path!;
    const version = t.params.version!;
    const work = tmp('xmod-cfd-');
    const dir = join(work, 'src');
    materializeTxtar(t, dir);
    const go = refCreateZip(module, version, dir, join(work, 'go.zip'));
    const ours = await buildModuleZip(dir, module, version, join(work, 'ours.zip')).catch((e: Error) => e);
    expect(ours instanceof Error, `Go: ${JSON.stringify(go)} ours: ${String(ours)}`).toBe(!go.ok);
    if (!(ours instanceof Error)) {
      expect(ours.h1).toBe(go.h1);
      expect((await inspectModuleZip(ours.path, module, version, 500 << 20)).h1).toBe(go.h1);
    }
  });

  it.each(cases('create'))('%s', async (rel) => {
    const file = join(TESTDATA, rel);
    const t = parseTxtar(file);
    const module = t.params.path!;
    const version = t.params.version!;
    const work = tmp('xmod-create-');
    const go = await goCreateFiles(module, version, file, join(work, 'go.zip'));
    const names = t.files.map((f) => f.name);
    const fsRepresentable = new Set(names).size === names.length && !names.some((n) => names.some((m) => m.startsWith(n + '/')));
    if (!fsRepresentable) {
      const listed = t.files.map((f) => ({ path: f.name, abs: '', kind: 'file' as const, size: f.data.length }));
      const checked = checkFiles(listed, '');
      expect(checked.invalid.length === 0 && !checked.sizeError, JSON.stringify({ go, checked })).toBe(go.ok);
      return;
    }
    const dir = join(work, 'src');
    materializeTxtar(t, dir);
    const ours = await buildModuleZip(dir, module, version, join(work, 'ours.zip')).catch((e: Error) => e);
    expect(ours instanceof Error, `Go: ${JSON.stringify(go)} ours: ${String(ours)}`).toBe(!go.ok);
    if (!(ours instanceof Error)) expect(ours.h1).toBe(go.h1);
  });
});

describe('x/mod zip testdata: file selection against CheckFiles and CheckDir', () => {
  const paths = (xs: { path: string }[] | null) => (xs ?? []).map((x) => x.path);

  it.each(cases('check_files'))('%s', async (rel) => {
    const file = join(TESTDATA, rel);
    const t = parseTxtar(file);
    const go = await goCheckFiles(file);
    const listed = t.files.filter((f) => f.name !== 'want').map((f) => ({ path: f.name, abs: '', kind: 'file' as const, size: f.data.length }));
    const ours = checkFiles(listed, '');
    expect(ours.valid.map((v) => v.path)).toEqual(go.valid);
    expect(paths(ours.omitted)).toEqual(paths(go.omitted));
    expect(paths(ours.invalid)).toEqual(paths(go.invalid));
  });

  it.each(cases('check_dir'))('%s', async (rel) => {
    const t = parseTxtar(join(TESTDATA, rel));
    const dir = join(tmp('xmod-cd-'), 'src');
    materializeTxtar(t, dir);
    const go = await goCheckDir(dir);
    const ours = await selectModuleFiles(dir);
    expect(ours.valid.map((v) => v.path).sort()).toEqual([...(go.valid ?? [])].sort());
    expect(paths(ours.omitted).sort()).toEqual(paths(go.omitted).sort());
    expect(paths(ours.invalid).sort()).toEqual(paths(go.invalid).sort());
  });
});
