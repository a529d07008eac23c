import { createHash } from 'node:crypto';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/registry.js';
import { FIXED_TIMESTAMP, gitIn, makeRepo, PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';
import { recordRules } from '../../src/languages/index.js';
import { stateRecordSchema } from '../../src/state/schema.js';

const StateRecordSchema = stateRecordSchema(recordRules());

const { tmp, track } = scratchDirs();

const pip = (args: string[]) => execa('pip', ['--isolated', '--disable-pip-version-check', ...args], { reject: false, all: true });

describe('publish --lang python against the embedded index', () => {
  let reg: RegistryProcess;
  let root: string;
  beforeAll(async () => {
    root = tmp('reg-');
    const auth = join(tmp(), 'auth');
    writeFileSync(auth, 'ci-user:ci-pass');
    reg = await startRegistryProcess(['--storage', root, '--python', '--python-auth-file', auth, '--quiet']);
  });
  afterAll(() => reg.stop());
  const env = () => ({ TWINE_REPOSITORY_URL: `${reg.url}/pypi/`, TWINE_USERNAME: 'ci-user', TWINE_PASSWORD: 'ci-pass', PIP_INDEX_URL: `${reg.url}/pypi/simple/`, HOME: tmp('home-') });

  it('builds (setuptools), uploads wheel + sdist, smokes with pip, and a consumer imports the snapshot', async () => {
    const repo = makeRepo();
    track(repo);
    const sha = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);
    const version = `0.1.0.dev${FIXED_TIMESTAMP}+g${sha}`;
    const r = await runCli(['publish', '--lang', 'python', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/building with \/usr\/bin\/python3/);
    const py = r.json.languages.python;
    expect(py.smoke.checks.some((c: { name: string; ok: boolean }) => c.name.startsWith('pip download') && c.ok)).toBe(true);
    const state = StateRecordSchema.parse(JSON.parse(readFileSync(join(repo, 'tmp/tilt-packages/python.json'), 'utf8')));
    expect(state).toMatchObject({ language: 'python', version, gitSha: sha });
    expect(state.packages[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(gitIn(repo, ['status', '--porcelain'])).toBe('');

    const target = tmp('site-');
    const inst = await pip(['install', '--no-deps', '--index-url', `${reg.url}/pypi/simple/`, '--target', target, `ameide-sdk==0.1.0.dev${FIXED_TIMESTAMP}`]);
    expect(inst.exitCode, inst.all).toBe(0);
    const out = await execa('python3', ['-c', 'import ameide_sdk; print(ameide_sdk.__version__)'], { env: { ...process.env, PYTHONPATH: target } });
    expect(out.stdout.trim()).toBe(version);

    const again = await runCli(['publish', '--lang', 'python', '--json', '-C', repo], { env: env() });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.languages.python.packages[0].status).toBe('already-present');
  });

  it('builds a hatchling project (dynamic version from [tool.hatch.version] path)', async () => {
    const repo = makeRepo(join(PROJECT_ROOT, 'fixtures/python-hatch'));
    track(repo);
    const r = await runCli(['publish', '--lang', 'python', '--json', '-C', repo], { env: env() });
    expect(r.exitCode, r.stderr).toBe(0);
    const sha = gitIn(repo, ['rev-parse', 'HEAD']).slice(0, 12);
    expect(r.json.languages.python.packages[0]).toMatchObject({ name: 'Ameide_Hatch.SDK', version: `2.3.0.dev${FIXED_TIMESTAMP}+g${sha}` });
    const dl = tmp();
    const got = await pip(['download', '--no-deps', '--index-url', `${reg.url}/pypi/simple/`, '-d', dl, `ameide-hatch-sdk==2.3.0.dev${FIXED_TIMESTAMP}`]);
    expect(got.exitCode, got.all).toBe(0);
    expect(readdirSync(dl).some((f) => f.endsWith('.whl'))).toBe(true);
  });

  it('accepts an upload from Debian twine and serves it to pip', async () => {
    const src = makeRepo(join(PROJECT_ROOT, 'fixtures/python-hatch'), { init: false });
    track(src);
    const dist = tmp();
    writeFileSync(join(src, 'src/ameide_hatch/version.py'), 'BASE_VERSION = "9.9.1"\n__version__ = "9.9.1"\n');
    const b = await execa('/usr/bin/python3', ['-m', 'build', '--no-isolation', '--skip-dependency-check', '--wheel', '--outdir', dist, src], { reject: false, all: true });
    expect(b.exitCode, b.all).toBe(0);
    const wheel = readdirSync(dist).find((f) => f.endsWith('.whl'))!;
    const tw = await execa('twine', ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', `${reg.url}/pypi/`, join(dist, wheel)], {
      reject: false,
      all: true,
      env: { ...process.env, TWINE_USERNAME: 'ci-user', TWINE_PASSWORD: 'ci-pass' },
    });
    // Debian's twine only accepts Metadata-Version <= 2.2; newer hatchling writes 2.3/2.4.
    if (tw.exitCode !== 0) expect(tw.all).toMatch(/Metadata|metadata/);
    else {
      const dl = tmp();
      const got = await pip(['download', '--no-deps', '--index-url', `${reg.url}/pypi/simple/`, '-d', dl, 'ameide-hatch-sdk==9.9.1']);
      expect(got.exitCode, got.all).toBe(0);
      expect(readdirSync(dl)).toContain(wheel);
    }
  });

  it('build failure → exit 1 with the backend output; missing TWINE_REPOSITORY_URL → exit 2', async () => {
    const repo = makeRepo();
    track(repo);
    const pp = join(repo, 'packages/python/ameide_sdk/pyproject.toml');
    writeFileSync(pp, readFileSync(pp, 'utf8').replace('packages = ["ameide_sdk"]', 'packages = ["no_such_package"]'));
    gitIn(repo, ['commit', '-qam', 'break the build']);
    const r = await runCli(['publish', '--lang', 'python', '-C', repo], { env: env() });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/python build of ameide-sdk failed/);
    expect(r.stderr).toMatch(/no_such_package/);
    expect(existsSync(join(repo, 'tmp/tilt-packages/python.json'))).toBe(false);

    const { TWINE_REPOSITORY_URL: _, ...rest } = env();
    const r2 = await runCli(['publish', '--lang', 'python', '-C', repo], { env: rest });
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/TWINE_REPOSITORY_URL/);
  });
});

describe('embedded index: bad input is refused and nothing is stored', () => {
  let reg: RegistryProcess;
  let store: string;
  beforeAll(async () => {
    store = tmp('pyidx-');
    const auth = join(tmp(), 'auth');
    writeFileSync(auth, 'u:p');
    reg = await startRegistryProcess(['--storage', tmp(), '--python-storage', store, '--python-auth-file', auth, '--quiet']);
  });
  afterAll(() => reg.stop());

  const files = () => readdirSync(store).filter((n) => !n.startsWith('.'));
  async function send(fields: Record<string, string>, content?: Buffer, filename = 'demo_pkg-1.0-py3-none-any.whl', auth = 'u:p') {
    const fd = new FormData();
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    if (content) fd.append('content', new Blob([content]), filename);
    const res = await fetch(`${reg.url}/pypi/`, { method: 'POST', body: fd, headers: { authorization: 'Basic ' + Buffer.from(auth).toString('base64') } });
    return { status: res.status, body: await res.text() };
  }
  const data = Buffer.from('not really a wheel, but bytes');
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const good = () => ({ ':action': 'file_upload', protocol_version: '1', name: 'demo-pkg', version: '1.0', filetype: 'bdist_wheel', pyversion: 'py3', metadata_version: '2.1', sha256_digest: sha(data) });

  it('400 on a wrong sha256 and on missing fields; 401 on bad auth', async () => {
    expect((await send({ ...good(), sha256_digest: '0'.repeat(64) }, data)).status).toBe(400);
    const missing = await send({ ':action': 'file_upload', name: 'demo-pkg' }, data);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/missing field/);
    expect((await send(good(), data, undefined, 'u:wrong')).status).toBe(401);
    expect(files()).toEqual([]);
  });

  it('stores a good upload, serves PEP 503/691, 409 on a reused file name with other bytes', async () => {
    expect((await send(good(), data)).status).toBe(200);
    const html = await (await fetch(`${reg.url}/pypi/simple/demo-pkg/`)).text();
    expect(html).toContain(`demo_pkg-1.0-py3-none-any.whl#sha256=${sha(data)}`);
    const json = (await (await fetch(`${reg.url}/pypi/simple/Demo_Pkg/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json()) as { files: { hashes: { sha256: string } }[] };
    expect(json.files[0]!.hashes.sha256).toBe(sha(data));
    const other = Buffer.from('other bytes');
    const r = await send({ ...good(), sha256_digest: sha(other) }, other);
    expect(r.status).toBe(409);
    expect(readFileSync(join(store, 'demo-pkg', 'demo_pkg-1.0-py3-none-any.whl')).equals(data)).toBe(true);
  });
});
