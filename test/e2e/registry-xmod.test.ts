import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { goEnv, refCreateZip } from '../helpers/go.js';
import { postUpload, storedFiles } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';
import { xmodEval } from '../helpers/xmod.js';

/**
 * The registry refuses (400) what go refuses and accepts what go accepts, for module path,
 * version, .info and go.mod — judged case by case by x/mod / Go (xmodeval), and for every
 * accepted upload by the real `go mod download` reading it back through the registry.
 */
const { tmp } = scratchDirs();
const TIME = '2025-11-06T08:27:52Z';

interface Upload {
  module: string;
  version: string;
  mod?: string;
  info?: string;
}

/** A module zip made by x/mod CreateFromDir with exactly this go.mod (any text: x/mod does not parse it). */
function zipFor(u: Upload): { zip: Buffer; mod: string; info: string } {
  const dir = tmp('xmodcase-');
  const src = join(dir, 'src');
  mkdirSync(src);
  const mod = u.mod ?? `module ${u.module}\n\ngo 1.19\n`;
  writeFileSync(join(src, 'go.mod'), mod);
  writeFileSync(join(src, 'lib.go'), `package lib\n\n// Value is part of the module.\nfunc Value() string { return ${JSON.stringify(u.version)} }\n`);
  const out = join(dir, 'm.zip');
  // Paths x/mod refuses cannot be zipped by it; the registry must refuse them before the zip.
  const r = refCreateZip(u.module, u.version, src, out);
  const zip = r.ok ? readFileSync(out) : Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'binary');
  return { zip, mod, info: u.info ?? JSON.stringify({ Version: u.version, Time: TIME }) };
}

/** x/mod's verdict on an upload: module.Check, canonical version, ParseLax'd go.mod naming it, decodable .info. */
async function goAccepts(u: Upload & { mod: string; info: string }): Promise<boolean> {
  const [check, canon, mod, info] = await xmodEval([
    { fn: 'Check', in: [u.module, u.version] },
    { fn: 'CanonicalVersion', in: [u.version] },
    { fn: 'ModfileParseLax', in: [u.mod] },
    { fn: 'InfoUnmarshal', in: [u.info] },
  ]);
  const m = mod!.out as { module: string | null } | null;
  const i = info!.out as { version: string; time: string | null } | null;
  return check!.out === true && canon!.out === u.version && m?.module === u.module && i?.version === u.version && i.time !== null;
}

describe('registry: module path, version, .info and go.mod as go judges them', () => {
  let reg: RunningRegistry & { root: string };
  const accepted: Upload[] = [];
  beforeAll(async () => {
    const root = tmp('reg-');
    reg = Object.assign(await startRegistry({ storage: root, readApi: true }), { root });
  });
  afterAll(() => reg.close());

  const cases: (Upload & { why: string })[] = [
    // Windows short names: tilde + digits anywhere in the part of an element before its first dot.
    { why: 'tilde-digits element', module: 'example.com/~1', version: 'v1.0.0' },
    { why: 'tilde-digits before the dot', module: 'example.com/m~1.x', version: 'v1.0.0' },
    { why: 'tilde-digits after the dot', module: 'example.com/m.x~1', version: 'v1.0.0' },
    // gopkg.in: .vN-unstable for N ≥ 1 only; .v1 also takes old v0.0.0-… versions.
    { why: 'gopkg.in .v1-unstable', module: 'gopkg.in/yaml.v1-unstable', version: 'v1.0.0' },
    { why: 'gopkg.in .v0-unstable', module: 'gopkg.in/yaml.v0-unstable', version: 'v0.1.0' },
    { why: 'gopkg.in .v1 with a v0 pseudo-version', module: 'gopkg.in/check.v1', version: 'v0.0.0-20160102150405-abcdef123456' },
    { why: 'gopkg.in .v1 with v0.0.0-pre', module: 'gopkg.in/check.v1', version: 'v0.0.0-pre' },
    { why: 'gopkg.in .v1 with a v0 release', module: 'gopkg.in/check.v1', version: 'v0.8.0' },
    // +incompatible: module.Check takes it without a suffix and with a matching one.
    { why: '+incompatible, no suffix', module: 'example.com/inc', version: 'v3.0.0+incompatible' },
    { why: '+incompatible on a matching /v2', module: 'example.com/inc/v2', version: 'v2.0.0+incompatible' },
    { why: '+incompatible on another /vN', module: 'example.com/inc/v2', version: 'v3.0.0+incompatible' },
    { why: 'other build metadata', module: 'example.com/inc', version: 'v1.0.0+meta' },
  ];
  for (const c of cases) {
    it(`${c.why}: ${c.module}@${c.version}`, async () => {
      const { zip, mod, info } = zipFor(c);
      const judged = await goAccepts({ ...c, mod, info });
      const r = await postUpload(reg.url, { module: c.module, version: c.version, mod, info, zip });
      expect(r.status, JSON.stringify(r.body)).toBe(judged ? 201 : 400);
      if (judged) accepted.push(c);
      else expect(typeof r.body.error).toBe('string');
    });
  }

  const infoCases: { why: string; info: (v: string) => string }[] = [
    { why: 'Feb 30', info: (v) => JSON.stringify({ Version: v, Time: '2023-02-30T00:00:00Z' }) },
    { why: 'hour 24', info: (v) => JSON.stringify({ Version: v, Time: '2023-01-01T24:00:00Z' }) },
    { why: 'Feb 29 of a leap year', info: (v) => JSON.stringify({ Version: v, Time: '2024-02-29T23:59:59Z' }) },
    { why: 'Feb 29 of a common year', info: (v) => JSON.stringify({ Version: v, Time: '2023-02-29T00:00:00Z' }) },
    { why: '1-digit hour, comma fraction and an offset (Go 1.19 takes them)', info: (v) => JSON.stringify({ Version: v, Time: '2023-01-01T1:02:03,25+01:00' }) },
    { why: 'lower-case keys (encoding/json matches them)', info: (v) => JSON.stringify({ version: v, time: TIME }) },
    { why: 'an escape inside Time (time.Time reads the raw text)', info: (v) => `{"Version":"${v}","Time":"2023-01-01T00:00:00\\u005a"}` },
    { why: 'no Time', info: (v) => JSON.stringify({ Version: v }) },
  ];
  infoCases.forEach((c, n) => {
    it(`.info ${c.why}`, async () => {
      const u = { module: 'example.com/infocase', version: `v1.0.${n}` };
      const { zip, mod } = zipFor(u);
      const info = c.info(u.version);
      const judged = await goAccepts({ ...u, mod, info });
      const r = await postUpload(reg.url, { ...u, mod, info, zip });
      expect(r.status, JSON.stringify(r.body)).toBe(judged ? 201 : 400);
      if (judged) accepted.push({ ...u, info });
      else expect(r.body.error).toMatch(/info/);
    });
  });

  const modCases: { why: string; mod: (m: string) => string }[] = [
    { why: 'two module lines', mod: (m) => `module ${m}\nmodule ${m}\n` },
    { why: 'garbage after the module path', mod: (m) => `module ${m} garbage\n` },
    { why: 'a back-quoted path', mod: (m) => `module \`${m}\`\n` },
    { why: 'a /* */ comment', mod: (m) => `module ${m}\n/* no */\n` },
    { why: 'a go directive go cannot read', mod: (m) => `module ${m}\n\ngo 1\n` },
    { why: 'a require with a branch name', mod: (m) => `module ${m}\n\nrequire example.com/dep master\n` },
    { why: 'a quoted path and comments', mod: (m) => `// leading\nmodule "${m}" // trailing\n\ngo 1.21.0\n` },
    { why: 'the module directive as a block', mod: (m) => `module (\n\t${m}\n)\n\ngo 1.19\n` },
    { why: 'directives only main modules or newer go use', mod: (m) => `module ${m}\n\ngo 1.22\n\ntoolchain go1.22.1\n\nreplace a => ../a\n\nfuture directive\n` },
  ];
  modCases.forEach((c, n) => {
    it(`go.mod with ${c.why}`, async () => {
      const u = { module: 'example.com/modcase', version: `v1.0.${n}` };
      const mod = c.mod(u.module);
      const { zip, info } = zipFor({ ...u, mod });
      const judged = await goAccepts({ ...u, mod, info });
      const r = await postUpload(reg.url, { ...u, mod, info, zip });
      expect(r.status, JSON.stringify(r.body)).toBe(judged ? 201 : 400);
      if (judged) accepted.push({ ...u, mod });
      else expect(r.body.error).toMatch(/go\.mod/);
    });
  });

  it('names the file system can not hold: 400 saying so, nothing written', async () => {
    const long = [
      { module: `example.com/${'a'.repeat(300)}`, version: 'v1.0.0' },
      { module: `example.com/${'A'.repeat(200)}`, version: 'v1.0.0' }, // 400 bytes once escaped (!a per A)
      { module: 'example.com/longpre', version: `v1.0.0-${'p'.repeat(300)}` },
      { module: `example.com/${Array.from({ length: 20 }, () => 'e'.repeat(200)).join('/')}`, version: 'v1.0.0' },
    ];
    for (const u of long) {
      expect(await goAccepts({ ...u, mod: `module ${u.module}\n`, info: JSON.stringify({ Version: u.version, Time: TIME }) })).toBe(true);
      const { zip, mod, info } = zipFor(u);
      const r = await postUpload(reg.url, { ...u, mod, info, zip });
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body.error).toMatch(/too long to store: .*(255 bytes per name|PATH_MAX)/);
      expect(r.body.error.length).toBeLessThan(400);
    }
    expect(storedFiles(reg.root).filter((f) => /aaaa|!a!a|longpre|eeee/.test(f))).toEqual([]);
    // Long names that fit are stored. (Element and prerelease lengths near the limit; the
    // module's lock file name is the storage's own business and must not be what limits them.)
    const fits = { module: `example.com/${'b'.repeat(230)}`, version: `v1.0.0-${'q'.repeat(200)}` };
    const { zip, mod, info } = zipFor(fits);
    expect((await postUpload(reg.url, { ...fits, mod, info, zip })).status).toBe(201);
  });

  it('go downloads every accepted upload through the registry, and keeps the .info Time as stored', async () => {
    expect(accepted.length).toBeGreaterThan(8);
    const home = tmp('gohome-');
    const env = goEnv(home, reg.url);
    const queries = accepted.map((u) => `${u.module}@${u.version}`);
    const r = await execa('go', ['mod', 'download', '-json', ...queries], { cwd: home, env, extendEnv: false, reject: false });
    const docs = JSON.parse(`[${r.stdout.replace(/}\n{/g, '},{')}]`) as { Path: string; Version: string; Error?: string; Info?: string }[];
    expect(docs.filter((d) => d.Error)).toEqual([]);
    expect(docs.map((d) => `${d.Path}@${d.Version}`).sort()).toEqual([...queries].sort());
    for (const d of docs) {
      const served = await (await fetch(`${reg.url}/${d.Path.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase())}/@v/${d.Version}.info`)).json();
      // What go wrote into its cache after decoding equals what the registry stored.
      expect(JSON.parse(readFileSync(d.Info!, 'utf8'))).toEqual(served);
    }
    const odd = docs.find((d) => d.Path === 'example.com/infocase' && readFileSync(d.Info!, 'utf8').includes('00:02:03'));
    expect(odd && JSON.parse(readFileSync(odd.Info!, 'utf8')).Time).toBe('2023-01-01T00:02:03.25Z');
  });
});
