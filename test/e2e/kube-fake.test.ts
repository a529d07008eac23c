import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../helpers/kube/fake-apiserver.js';
import { removeDir, tempDir } from '../helpers/repo.js';

/**
 * The fake apiserver's fidelity, checked with the real kubectl: if kubectl (which speaks
 * protobuf, tables, discovery, OpenAPI, SSA) agrees with it, ameide-pkg's tests against it
 * mean something. HTTPS with a self-signed certificate and a bearer token, so auth is real.
 */
describe('fake apiserver vs real kubectl', () => {
  let api: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  const kubectl = (args: string[], opts: { input?: string; kubeconfig?: string } = {}) =>
    execa('kubectl', args, { reject: false, input: opts.input, env: { KUBECONFIG: opts.kubeconfig ?? kubeconfig, HOME: dir }, extendEnv: false });

  beforeAll(async () => {
    dir = tempDir('kube-fidelity-');
    api = await startFakeApiServer({ https: true, token: 'fidelity-token', namespaces: ['ameide'] });
    kubeconfig = api.writeKubeconfig(dir, { namespace: 'ameide' });
  });
  afterAll(async () => {
    await api?.close();
    removeDir(dir);
  });

  it('serves /version and discovery as kubectl expects', async () => {
    const v = await kubectl(['version', '-o', 'json']);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).serverVersion.gitVersion).toBe('v1.32.0-fake');
    const res = await kubectl(['api-resources', '--api-group=', '-o', 'name']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout.split('\n')).toEqual(expect.arrayContaining(['configmaps', 'namespaces']));
  });

  it('accepts protobuf from `kubectl create configmap` and returns what was stored', async () => {
    const c = await kubectl(['create', 'configmap', 'proto', '--from-literal=a.json={"x":1}', '--from-literal=b=two']);
    expect(c.exitCode, c.stderr).toBe(0);
    const stored = api.configMap('ameide', 'proto')!;
    expect(stored.data).toEqual({ 'a.json': '{"x":1}', b: 'two' });
    expect(api.requests.some((r) => r.method === 'POST' && r.contentType?.includes('protobuf'))).toBe(true);
    const g = await kubectl(['get', 'configmap', 'proto', '-o', 'json']);
    expect(g.exitCode, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout).metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
  });

  it('renders tables for `kubectl get` and honours label selectors', async () => {
    api.putConfigMap('ameide', 'labelled', { k: 'v' }, { team: 'platform' });
    const all = await kubectl(['get', 'configmaps']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^NAME\s+DATA\s+AGE/);
    expect(all.stdout).toMatch(/labelled\s+1/);
    const sel = await kubectl(['get', 'cm', '-l', 'team=platform', '-o', 'name']);
    expect(sel.stdout.trim()).toBe('configmap/labelled');
  });

  it('applies merge, strategic and JSON patches, bumping resourceVersion each time', async () => {
    api.putConfigMap('ameide', 'patched', { keep: '1', drop: '2' });
    const rv0 = Number(api.configMap('ameide', 'patched')!.metadata.resourceVersion);
    expect((await kubectl(['patch', 'cm', 'patched', '--type', 'merge', '-p', '{"data":{"m":"merge"}}'])).exitCode).toBe(0);
    expect((await kubectl(['patch', 'cm', 'patched', '-p', '{"data":{"s":"strategic"}}'])).exitCode).toBe(0);
    const j = await kubectl(['patch', 'cm', 'patched', '--type', 'json', '-p', '[{"op":"remove","path":"/data/drop"}]']);
    expect(j.exitCode, j.stderr).toBe(0);
    const cm = api.configMap('ameide', 'patched')!;
    expect(cm.data).toEqual({ keep: '1', m: 'merge', s: 'strategic' });
    expect(Number(cm.metadata.resourceVersion)).toBe(rv0 + 3);
    const bad = await kubectl(['patch', 'cm', 'patched', '--type', 'json', '-p', '[{"op":"remove","path":"/data/missing"}]']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/does not exist/);
  });

  it('supports client-side apply, server-side apply with conflicts, and create -f', async () => {
    const manifest = join(dir, 'cm.json');
    const write = (data: Record<string, string>) => writeFileSync(manifest, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', labels: { app: 'demo' } }, data }));
    write({ k: 'v1' });
    const a1 = await kubectl(['apply', '-f', manifest]);
    expect(a1.exitCode, a1.stderr).toBe(0);
    expect(a1.stdout).toMatch(/created/);
    write({ k: 'v2' });
    const a2 = await kubectl(['apply', '-f', manifest]);
    expect(a2.stdout).toMatch(/configured/);
    expect(api.configMap('ameide', 'applied')!.data).toEqual({ k: 'v2' });

    write({ ssa: 'one' });
    const s1 = await kubectl(['apply', '--server-side', '--field-manager', 'team-a', '-f', manifest]);
    expect(s1.exitCode, s1.stderr).toBe(0);
    write({ ssa: 'two' });
    const s2 = await kubectl(['apply', '--server-side', '--field-manager', 'team-b', '-f', manifest]);
    expect(s2.exitCode).toBe(1);
    expect(s2.stderr).toMatch(/conflict/i);
    const s3 = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'team-b', '-f', manifest]);
    expect(s3.exitCode, s3.stderr).toBe(0);
    expect(api.configMap('ameide', 'applied')!.data.ssa).toBe('two');

    const dup = await kubectl(['create', '-f', manifest]);
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toMatch(/AlreadyExists.*"applied" already exists/);
  });

  it('answers NotFound, Invalid, Conflict and server dry-run like an apiserver', async () => {
    const nf = await kubectl(['get', 'cm', 'nope']);
    expect(nf.exitCode).toBe(1);
    expect(nf.stderr).toMatch(/NotFound.*configmaps "nope" not found/);
    const nsMissing = await kubectl(['-n', 'ghost', 'create', 'configmap', 'x', '--from-literal=a=b']);
    expect(nsMissing.stderr).toMatch(/namespaces "ghost" not found/);
    const invalid = await kubectl(['create', 'configmap', 'Bad_Name', '--from-literal=a=b']);
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toMatch(/"Bad_Name" is invalid: metadata.name: Invalid value/);

    api.putConfigMap('ameide', 'versioned', { a: '1' });
    const stale: Record<string, any> = { ...api.configMap('ameide', 'versioned')!, data: { a: 'stale' } };
    stale.metadata.resourceVersion = '1';
    const r = await kubectl(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Conflict.*the object has been modified/);

    const dry = await kubectl(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(api.configMap('ameide', 'dry')).toBeUndefined();
  });

  it('enforces the bearer token and RBAC-style 403s', async () => {
    const wrong = api.writeKubeconfig(tempDir('kube-wrong-'), { namespace: 'ameide', token: 'not-the-token' });
    const u = await kubectl(['get', 'cm'], { kubeconfig: wrong });
    expect(u.exitCode).toBe(1);
    expect(u.stderr).toMatch(/Unauthorized|provide credentials/);
    api.forbid('delete', 'configmaps');
    const f = await kubectl(['delete', 'cm', 'proto']);
    expect(f.exitCode).toBe(1);
    expect(f.stderr).toMatch(/forbidden: User ".*" cannot delete resource "configmaps"/);
    expect(api.configMap('ameide', 'proto')).toBeDefined();
  });
});
