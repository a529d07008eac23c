import { execa } from 'execa';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '../../src/registry/server.js';
import { goCheckZip, goEnv, type GoZipVerdict } from '../helpers/go.js';
import { hostileCases } from '../helpers/hostile-zips.js';
import { postUpload, storedFiles } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';

/**
 * Go is the judge of zips: every corpus zip is checked by x/mod (CheckZip, then HashZip —
 * test/helpers/go/modzipref) and uploaded to a real registry; the registry must answer 201
 * exactly when Go accepts, report Go's h1, and leave no trace when it refuses. Nothing here
 * states an expected verdict by hand.
 */
const MOD = 'example.com/hostile';
const { tmp } = scratchDirs();
const cases = hostileCases(MOD);
/** Accepted zips whose read path is also exercised with the real `go mod download`. */
const DOWNLOAD = new Set(['baseline', 'utf8-name-no-flag', 'dir-entry-with-content', 'symlink-mode', 'self-extracting-stub', 'zero-crc', 'zip64-extra-consistent', 'empty-zip']);

const snapshot = (root: string) => storedFiles(root).map((f) => `${f}:${readFileSync(join(root, f)).toString('base64')}`);

describe('Go is the judge of module zips', () => {
  let reg: RunningRegistry;
  let root: string;
  let work: string;
  const verdicts = new Map<string, { go: GoZipVerdict; version: string; status: number; h1?: string }>();
  beforeAll(async () => {
    root = tmp('judge-reg-');
    work = tmp('judge-zips-');
    reg = await startRegistry({ storage: root, readApi: true });
  });
  afterAll(() => reg.close());

  it('the corpus has at least 40 cases with distinct ids, and both verdicts occur', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it.each(cases.map((c, i) => [c.id, c, i] as const))('%s', async (_id, hc, i) => {
    const version = `v1.0.${i}`;
    const zip = hc.zip(`${MOD}@${version}/`);
    const path = join(work, `${hc.id}.zip`);
    writeFileSync(path, zip);
    const go = await goCheckZip(MOD, version, path);
    const before = snapshot(root);
    const res = await postUpload(reg.url, {
      module: MOD,
      version,
      info: JSON.stringify({ Version: version, Time: '2025-01-01T00:00:00Z' }),
      mod: hc.mod ?? `module ${MOD}\n\ngo 1.19\n`,
      zip,
    });
    verdicts.set(hc.id, { go, version, status: res.status, h1: res.body?.h1 });
    const why = `${hc.why}\nGo: ${JSON.stringify({ ok: go.ok, stage: go.stage, error: go.error, h1: go.h1 })}\nregistry: ${res.status} ${JSON.stringify(res.body)}`;
    if (go.ok) {
      expect(res.status, why).toBe(201);
      expect(res.body.h1, why).toBe(go.h1);
    } else {
      expect([400, 413], why).toContain(res.status);
      expect(typeof res.body.error).toBe('string');
      expect(res.body.error).not.toMatch(/\n/);
      expect(snapshot(root), 'a refused upload changed storage').toEqual(before);
      expect(readdirSync(join(root, '.staging'))).toEqual([]);
    }
  });

  it('both verdicts occur in the corpus, in quantity', () => {
    const accepted = [...verdicts.values()].filter((v) => v.go.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(15);
    expect(verdicts.size - accepted).toBeGreaterThanOrEqual(30);
  });

  it('the real go downloads accepted hostile zips through the read API with the same h1', async () => {
    const home = tmp('judge-gohome-');
    for (const id of DOWNLOAD) {
      const v = verdicts.get(id)!;
      expect(v.go.ok, id).toBe(true);
      const r = await execa('go', ['mod', 'download', '-json', `${MOD}@${v.version}`], { cwd: home, env: goEnv(home, reg.url), extendEnv: false, reject: false });
      expect(r.exitCode, `${id}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(JSON.parse(r.stdout).Sum, id).toBe(v.go.h1);
    }
  }, 120_000);
});
