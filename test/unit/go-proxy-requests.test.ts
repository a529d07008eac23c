import { describe, expect, it } from 'vitest';
import { HttpFailure } from '../../src/registry/errors.js';
import { parseProxyPath } from '../../src/registry/go/read-api.js';
import { normalizeInfo } from '../../src/registry/go/upload.js';
import { xmodEval } from '../helpers/xmod.js';

/**
 * Two pure pieces of the Go registry, with the real x/mod and Go's encoding/json + time as
 * the judge (xmodeval, built in GOPATH mode against Debian's x/mod): which GOPROXY request
 * paths name which module and version (parseProxyPath), and which `.info` documents the
 * uploader accepts and what it stores (normalizeInfo). No expectation below is hand-encoded
 * where Go can answer it.
 */
async function ask(fn: string, inputs: string[]): Promise<Map<string, unknown>> {
  const answers = await xmodEval(inputs.map((x) => ({ fn, in: [x] })));
  return new Map(answers.map((a) => [a.in[0]!, a.out]));
}

const MODULES = [
  'go.packages.dev.ameide.io/ameide-sdk-go',
  'github.com/Azure/azure-sdk-for-go',
  'github.com/BurntSushi/toml',
  'example.com/m/v2',
  'example.com/m/v1',
  'example.com/m/v02',
  'gopkg.in/yaml.v2',
  'gopkg.in/yaml.v1-unstable',
  'example.com/a~b/c_d.e-f',
  'example.com/~1',
  'example.com/CON/x',
  'Example.com/m',
  '-x.com/m',
  'example.com//m',
  'example.com/m/',
  'example.com/.git/m',
  'localhost/m',
  'example.com/é',
];
const VERSIONS = [
  'v0.0.0-20251106083012-0123456789ab',
  'v1.2.3',
  'v1.0.0-RC.1',
  'v1.0.0-rc.1',
  'v2.0.0+incompatible',
  'v1.2.3+meta',
  'v1.2',
  'v1',
  'v01.2.3',
  '1.2.3',
  'v1.2.3-',
  'latest',
  'v0.1.0-Beta-X',
];
const KINDS = ['info', 'mod', 'zip'] as const;

describe("parseProxyPath: the module and version a GOPROXY path names, as x/mod's escaping and checks decide", () => {
  it('every path the go command would send for a valid module@version parses back to it; invalid or non-canonical ones are null', async () => {
    const [checkPath, escPath, escVersion, canonical, valid] = await Promise.all([
      ask('CheckPath', MODULES),
      ask('EscapePath', MODULES),
      ask('EscapeVersion', VERSIONS),
      ask('CanonicalVersion', VERSIONS),
      ask('IsValid', VERSIONS),
    ]);
    // The table must exercise both sides of each rule, or it proves nothing.
    expect(new Set(checkPath.values())).toEqual(new Set([true, false]));
    expect(VERSIONS.some((v) => valid.get(v) === true && canonical.get(v) !== v)).toBe(true);
    let parsed = 0;
    for (const m of MODULES) {
      const em = escPath.get(m);
      if (typeof em !== 'string') {
        // Go cannot even escape it; sent raw, it must not name a module.
        expect(parseProxyPath(`/${m}/@v/list`), m).toBeNull();
        continue;
      }
      const moduleOk = checkPath.get(m) === true;
      expect(parseProxyPath(`/${em}/@v/list`), `${em}/@v/list`).toEqual(moduleOk ? { module: m, kind: 'list' } : null);
      expect(parseProxyPath(`/${em}/@latest`), `${em}/@latest`).toEqual(moduleOk ? { module: m, kind: 'latest' } : null);
      for (const v of VERSIONS) {
        const ev = escVersion.get(v);
        if (typeof ev !== 'string') continue;
        const versionOk = valid.get(v) === true && canonical.get(v) === v;
        for (const kind of KINDS) {
          const got = parseProxyPath(`/${em}/@v/${ev}.${kind}`);
          expect(got, `${em}/@v/${ev}.${kind}`).toEqual(moduleOk && versionOk ? { module: m, kind, version: v } : null);
          if (got) parsed++;
        }
      }
    }
    expect(parsed).toBeGreaterThan(20);
  });

  it("a path sent without Go's case escaping is refused exactly when x/mod's UnescapePath/UnescapeVersion refuse it", async () => {
    const modules = ['github.com/Azure/azure-sdk-for-go', 'github.com/azure/azure-sdk-for-go', 'example.com/m'];
    const versions = ['v1.0.0-RC.1', 'v1.0.0-rc.1', 'v1.2.3'];
    const [unPath, unVersion] = await Promise.all([ask('UnescapePath', modules), ask('UnescapeVersion', versions)]);
    expect(new Set(unPath.values()).has(null)).toBe(true);
    for (const m of modules) {
      for (const v of versions) {
        const ok = unPath.get(m) === m && unVersion.get(v) === v;
        expect(parseProxyPath(`/${m}/@v/${v}.info`), `${m} ${v}`).toEqual(ok ? { module: m, kind: 'info', version: v } : null);
      }
    }
  });

  it("'!' may arrive percent-encoded (%21) and means the same; leading slashes do not matter", () => {
    const want = { module: 'github.com/Azure/azure-sdk-for-go', kind: 'zip', version: 'v1.0.0-RC.1' };
    expect(parseProxyPath('/github.com/!azure/azure-sdk-for-go/@v/v1.0.0-!r!c.1.zip')).toEqual(want);
    expect(parseProxyPath('/github.com/%21azure/azure-sdk-for-go/@v/v1.0.0-%21r%21c.1.zip')).toEqual(want);
    expect(parseProxyPath('github.com/!azure/azure-sdk-for-go/@v/v1.0.0-!r!c.1.zip')).toEqual(want);
    expect(parseProxyPath('///github.com/!azure/azure-sdk-for-go/@v/v1.0.0-!r!c.1.zip')).toEqual(want);
  });

  it('malformed paths are null, never a throw: bad percent-encoding, unknown files, missing pieces', () => {
    for (const p of [
      '/example.com/m/@v/v1.0.0.info%',
      '/example.com/m/@v/v1.0.0.inf%E0%A4%A',
      '/example.com/m/@v/v1.0.0.txt',
      '/example.com/m/@v/v1.0.0',
      '/example.com/m/@v/.info',
      '/example.com/m/@v/',
      '/example.com/m/@v/list/extra',
      '/example.com/m/@v/lists',
      '/example.com/m/@latest/x',
      '/example.com/m',
      '/@v/list',
      '/@latest',
      '/',
      '',
      '/example.com/m/@v/v1.0.0!.info',
      '/example.com/m/@v/v1.0.0-!!x.info',
    ]) {
      expect(() => parseProxyPath(p), p).not.toThrow();
      expect(parseProxyPath(p), p).toBeNull();
    }
  });
});

const V = 'v0.0.0-20251106083012-0123456789ab';
const INFOS = [
  `{"Version":"${V}","Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":"${V}","Time":"2025-11-06T10:30:12+02:00"}`,
  `{"Version":"${V}","Time":"2025-11-06T08:30:12.120000000Z"}`,
  `{"Version":"${V}","Time":"2025-11-06T08:30:12Z","Origin":{"VCS":"git","Hash":"abc"}}`,
  `  {\n "version": "${V}", "time": "2025-11-06T08:30:12Z"}\n`,
  `{"Verſion":"${V}","TIME":"2025-11-06T08:30:12Z"}`,
  `{"Version":"v9.9.9","Version":"${V}","Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":"${V}","Time":"2025-11-06T08:30:12Z","Time":"2024-01-01T00:00:00Z"}`,
  `{"Version":"${V}","Time":"2025-11-06T1:02:03+99:99"}`,
  `{"Version":"v1.0.0","Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":"${V}"}`,
  `{"Version":"${V}","Time":null}`,
  `{"Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":null,"Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":1,"Time":"2025-11-06T08:30:12Z"}`,
  `{"Version":"${V}","Time":"2025-11-06 08:30:12Z"}`,
  `{"Version":"${V}","Time":"2025-11-06T08:30:12"}`,
  `{"Version":"${V}","Time":"2025\\u002d11-06T08:30:12Z"}`,
  `{"Version":"${V}","Time":"0000-01-01T00:30:00+01:00"}`,
  `{"Version":"${V}","Time":"9999-12-31T23:30:00-01:00"}`,
  `{"Version":"${V}","Time":1762417812}`,
  `["${V}"]`,
  'null',
  '',
  `{"Version":"${V}","Time":"2025-11-06T08:30:12Z"`,
];

describe(".info normalisation: Go's json.Unmarshal + time decides, the registry stores what go writes back", () => {
  it('accepted exactly when go reads this version and a writable Time; stored as {"Version","Time"} with Go\'s UTC time', async () => {
    const go = await ask('InfoUnmarshal', INFOS);
    let accepted = 0;
    for (const doc of INFOS) {
      const g = go.get(doc) as { version: string; time: string | null } | null;
      const goAccepts = g !== null && g.version === V && g.time !== null && g.time !== '!unwritable';
      let got: Buffer | HttpFailure;
      try {
        got = normalizeInfo(Buffer.from(doc), V);
      } catch (err) {
        got = err as HttpFailure;
      }
      if (!goAccepts) {
        expect(got, doc).toBeInstanceOf(HttpFailure);
        expect((got as HttpFailure).status, doc).toBe(400);
        continue;
      }
      accepted++;
      expect(got, doc).toBeInstanceOf(Buffer);
      expect((got as Buffer).toString('utf8'), doc).toBe(`{"Version":"${V}","Time":"${g.time}"}\n`);
    }
    expect(accepted).toBeGreaterThanOrEqual(6);
    expect(accepted).toBeLessThan(INFOS.length - 6);
  });

  it('what is stored reads back in Go as the same version and instant, and normalising it again changes nothing', async () => {
    const pairs = INFOS.flatMap((doc) => {
      try {
        return [[doc, normalizeInfo(Buffer.from(doc), V).toString('utf8')] as const];
      } catch {
        return [];
      }
    });
    const first = await ask('InfoUnmarshal', INFOS);
    const again = await ask('InfoUnmarshal', pairs.map(([, s]) => s));
    for (const [doc, s] of pairs) {
      // The instant go read from the uploaded document is the one go reads from the stored one.
      expect(again.get(s), s).toEqual(first.get(doc));
      expect(normalizeInfo(Buffer.from(s), V).toString('utf8')).toBe(s);
    }
  });

  it('a refusal names the problem and says what to send', () => {
    const refuse = (doc: string) => {
      try {
        normalizeInfo(Buffer.from(doc), V);
      } catch (err) {
        return err as HttpFailure;
      }
      throw new Error(`accepted: ${doc}`);
    };
    const mismatch = refuse(`{"Version":"v1.0.0","Time":"2025-11-06T08:30:12Z"}`);
    expect(mismatch.message).toBe(`info Version "v1.0.0" does not match version ${V}`);
    expect(mismatch.detail).toMatch(/^send \{"Version":"<version>","Time":"<RFC 3339 commit time/);
    expect(refuse(`{"Version":"${V}"}`).message).toMatch(/info has no Time/);
    expect(refuse(`{"Version":"${V}","Time":"2025-11-06 08:30:12Z"}`).message).toMatch(/is not an RFC 3339 time go accepts/);
    expect(refuse('').message).toBe('info is not valid JSON');
    // A long value is clipped in the message, so a hostile upload cannot fill the log.
    expect(refuse(`{"Version":"v${'9'.repeat(500)}","Time":"2025-11-06T08:30:12Z"}`).message.length).toBeLessThan(140);
  });
});
