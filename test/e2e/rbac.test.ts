import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeState } from '../../src/state/files.js';
import { runCli } from '../helpers/cli.js';
import { startFakeApiServer, type FakeApiServer, type RbacRule } from '../helpers/kube/fake-apiserver.js';
import { render } from '../helpers/kube/manifests.js';
import { makeRepo, scratchDirs } from '../helpers/repo.js';
import { sampleRecord } from '../helpers/state.js';

/**
 * The Role in deploy/kubernetes is sufficient and minimal: with a token bound to exactly its
 * rules (parsed from the rendered manifest), `state push`, `state sync` and `state check` work;
 * with any one verb removed, the command that needs it fails with the 403 naming that verb.
 */
const NS = 'ameide';
const USER = 'system:serviceaccount:ameide:ameide-pkg';
const { tmp, track } = scratchDirs();

let api: FakeApiServer;
let rules: RbacRule[];
let repo: string;
const kubeconfigs = new Map<string, string>();

function kubeconfigFor(token: string): string {
  if (!kubeconfigs.has(token)) kubeconfigs.set(token, api.writeKubeconfig(tmp('rbac-kube-'), { namespace: NS, token }));
  return kubeconfigs.get(token)!;
}

/** Run a command with a token bound to these rules. */
async function as(token: string, r: RbacRule[], args: string[], cwd = repo) {
  api.bindToken(token, { user: USER, rules: r });
  return runCli([...args, '-C', cwd], { env: { KUBECONFIG: kubeconfigFor(token), HOME: tmp('rbac-home-') } });
}

function writeLocal(dir: string, n: number): void {
  mkdirSync(join(dir, 'tmp/tilt-packages'), { recursive: true });
  writeFileSync(join(dir, 'tmp/tilt-packages/go.json'), serializeState(sampleRecord('go', n)));
}

beforeAll(async () => {
  const role = (await render('overlays/pvc')).find((o) => o.kind === 'Role' && o.metadata.name === 'ameide-pkg-state')!;
  rules = role.rules;
  api = await startFakeApiServer({ https: true, namespaces: [NS] });
  repo = track(makeRepo());
}, 60_000);
afterAll(() => api?.close());

describe('RBAC: the Role from deploy/kubernetes against a fake apiserver that enforces it', () => {
  it('with exactly the Role: push creates then patches, sync and check succeed; an unknown token is 401', async () => {
    api.deleteConfigMap(NS, 'go-packages-state');
    writeLocal(repo, 1);
    const created = await as('role', rules, ['state', 'push', '--lang', 'go', '--json']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.json.results[0].done).toBe('created');
    writeLocal(repo, 2);
    const patched = await as('role', rules, ['state', 'push', '--lang', 'go', '--json']);
    expect(patched.exitCode, patched.stderr).toBe(0);
    expect(patched.json.results[0].done).toBe('patched');

    const consumer = track(makeRepo());
    const sync = await as('role', rules, ['state', 'sync', '--lang', 'go']);
    expect(sync.exitCode, sync.stderr).toBe(0);
    const sync2 = await as('role', rules, ['state', 'sync', '--lang', 'go'], consumer);
    expect(sync2.exitCode, sync2.stderr).toBe(0);
    expect(readFileSync(join(consumer, 'tmp/tilt-packages/go.json'), 'utf8')).toBe(serializeState(sampleRecord('go', 2)));
    const check = await as('role', rules, ['state', 'check', '--lang', 'go', '--json'], consumer);
    expect(check.exitCode, check.stderr + check.stdout).toBe(0);
    expect(check.json.ok).toBe(true);

    const stranger = await runCli(['state', 'check', '--lang', 'go', '-C', consumer], { env: { KUBECONFIG: api.writeKubeconfig(tmp('rbac-kube-'), { namespace: NS, token: 'not-bound' }), HOME: tmp('rbac-home-') } });
    expect(stranger.exitCode).toBe(1);
    expect(stranger.stderr).toMatch(/unauthorized \(401\)/);
  });

  // Which command needs which verb, and the state the cluster must be in to need it.
  const needs: Record<string, { args: string[]; fresh?: boolean }[]> = {
    get: [{ args: ['state', 'sync', '--lang', 'go'] }, { args: ['state', 'check', '--lang', 'go'] }],
    create: [{ args: ['state', 'push', '--lang', 'go'], fresh: true }],
    patch: [{ args: ['state', 'push', '--lang', 'go'] }],
  };

  it('the Role has exactly the verbs this test knows a command for', () => {
    expect(rules.flatMap((r) => r.verbs).sort()).toEqual(Object.keys(needs).sort());
  });

  for (const verb of ['get', 'create', 'patch']) {
    it(`without "${verb}": the command that needs it fails with the 403 naming "${verb}"`, async () => {
      const reduced = rules.map((r) => ({ ...r, verbs: r.verbs.filter((v) => v !== verb) }));
      expect(reduced.flatMap((r) => r.verbs)).not.toContain(verb);
      for (const c of needs[verb]!) {
        // A pushed ConfigMap to read from or patch; none when the command must create it.
        writeLocal(repo, 3);
        api.deleteConfigMap(NS, 'go-packages-state');
        if (!c.fresh) api.putConfigMap(NS, 'go-packages-state', { 'ameide-sdk-go.json': serializeState(sampleRecord('go', 4)) });
        const r = await as(`no-${verb}`, reduced, c.args);
        expect(r.exitCode, `${c.args.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`forbidden \\(403\\): cannot ${verb} configmaps`));
        expect(r.stderr).toContain(`User "${USER}" cannot ${verb} resource "configmaps" in API group "" in the namespace "${NS}"`);
        // And the same command with the full Role works.
        api.deleteConfigMap(NS, 'go-packages-state');
        if (!c.fresh) api.putConfigMap(NS, 'go-packages-state', { 'ameide-sdk-go.json': serializeState(sampleRecord('go', 3)) });
        const ok = await as('role', rules, c.args);
        expect(ok.exitCode, `${c.args.join(' ')} with the Role: ${ok.stderr}`).toBe(0);
      }
    });
  }
});
