import { execa } from 'execa';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allContainers, cliContainers, modelPath, OVERLAYS, podTemplates, render, type K8sObject } from '../helpers/kube/manifests.js';
import { startRegistryProcess } from '../helpers/registry.js';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT, scratchDirs } from '../helpers/repo.js';

/**
 * deploy/kubernetes: every overlay renders with the real `kubectl kustomize`, every object
 * passes Kubernetes' own OpenAPI schema (kubernetes-models), and what the manifests ask of
 * ameide-pkg — probe endpoints, commands, flags, environment — exists in the built CLI.
 */
const { tmp } = scratchDirs();
const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  for (const dir of ['base', ...OVERLAYS.map((o) => `overlays/${o}`)]) rendered.set(dir, await render(dir));
}, 60_000);

const each = () => [...rendered.entries()];
const find = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

/** `ameide-pkg <argv> --help` for the command an argv runs (the words before its first flag). */
const helpCache = new Map<string, string>();
async function helpFor(argv: string[]): Promise<string> {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  const key = words.join(' ');
  if (!helpCache.has(key)) {
    const r = await runCli([...words, '--help']);
    expect(r.exitCode, `ameide-pkg ${key} --help: ${r.stderr}`).toBe(0);
    expect(r.stdout, `"${key}" is not an ameide-pkg command`).toMatch(new RegExp(`^Usage: ameide-pkg ${key}`));
    helpCache.set(key, r.stdout);
  }
  return helpCache.get(key)!;
}

/** Env names some part of the run reads: the CLI bundle, the go toolchain, or the OS. */
let distText = '';
let goEnvHelp = '';
function envKnown(name: string): boolean {
  if (name === 'HOME') return true;
  if (new RegExp(`\\b${name}\\b`).test(goEnvHelp)) return true;
  return distText.includes(`"${name}"`) || distText.includes(`.${name}`) || distText.includes(`'${name}'`);
}

describe('deploy/kubernetes (kubectl kustomize + Kubernetes OpenAPI schemas)', () => {
  beforeAll(async () => {
    const dist = join(PROJECT_ROOT, 'dist');
    // Every .js file of the bundle, whatever its layout (one file or chunks).
    const files = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).map((f) => join(dist, f));
    distText = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    goEnvHelp = (await execa('go', ['help', 'environment'])).stdout;
  });

  it('every overlay renders and every object validates against its Kubernetes schema', async () => {
    for (const [dir, objects] of each()) {
      expect(objects.length, dir).toBeGreaterThan(5);
      for (const o of objects) {
        const mod = (await import(modelPath(o.apiVersion, o.kind))) as Record<string, new (x: unknown) => { validate(): void }>;
        const Model = mod[o.kind]!;
        expect(() => new Model(o).validate(), `${dir}: ${o.kind}/${o.metadata.name}`).not.toThrow();
        expect(o.metadata.namespace ?? 'ameide', `${dir}: ${o.kind}/${o.metadata.name}`).toBe('ameide');
      }
    }
    // The schema check can fail: a wrong type is caught.
    const { Deployment } = await import('kubernetes-models/apps/v1/Deployment');
    const broken = structuredClone(find(rendered.get('base')!, 'Deployment', 'go-module-uploader')!);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    expect(() => new Deployment(broken as never).validate()).toThrow(/containerPort must be integer/);
  });

  it('each overlay has the workloads: uploader Deployment + Service, runner Job, drift CronJob; gc where storage is a volume', () => {
    for (const [dir, objects] of each()) {
      for (const [kind, name] of [['Deployment', 'go-module-uploader'], ['Service', 'go-module-uploader'], ['Job', 'ameide-pkg-publish'], ['CronJob', 'ameide-pkg-drift'], ['ServiceAccount', 'ameide-pkg'], ['Role', 'ameide-pkg-state'], ['RoleBinding', 'ameide-pkg-state']] as const)
        expect(find(objects, kind, name), `${dir}: ${kind}/${name}`).toBeTruthy();
      expect(Boolean(find(objects, 'CronJob', 'ameide-pkg-gc')), dir).toBe(!dir.endsWith('s3'));
    }
    const volume = (dir: string) => find(rendered.get(dir)!, 'Deployment', 'go-module-uploader')!.spec.template.spec.volumes.find((v: any) => v.name === 'storage');
    expect(volume('overlays/pvc')).toEqual({ name: 'storage', persistentVolumeClaim: { claimName: 'athens-proxy-storage' } });
    expect(volume('overlays/athens-external')).toEqual({ name: 'storage', persistentVolumeClaim: { claimName: 'ameide-pkg-modules' } });
    const gcVolume = find(rendered.get('overlays/pvc')!, 'CronJob', 'ameide-pkg-gc')!.spec.jobTemplate.spec.template.spec.volumes.find((v: any) => v.name === 'storage');
    expect(gcVolume).toEqual({ name: 'storage', persistentVolumeClaim: { claimName: 'athens-proxy-storage' } });
    const s3Args = find(rendered.get('overlays/s3')!, 'Deployment', 'go-module-uploader')!.spec.template.spec.containers[0].args;
    expect(s3Args[s3Args.indexOf('--storage') + 1]).toMatch(/^s3:\/\/[a-z0-9.-]+$/); // Athens' S3 backend reads keys without a prefix
  });

  it('the Role grants exactly get, create, patch on configmaps, bound to the service account the jobs run as', () => {
    for (const [dir, objects] of each()) {
      const role = find(objects, 'Role', 'ameide-pkg-state')!;
      expect(role.rules, dir).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch'] }]);
      expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'), dir).toEqual([]);
      const binding = find(objects, 'RoleBinding', 'ameide-pkg-state')!;
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ameide-pkg-state' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ameide-pkg', namespace: 'ameide' }]);
      for (const t of podTemplates(objects)) {
        expect(t.spec.serviceAccountName, `${dir}: ${t.owner.metadata.name}`).toBe('ameide-pkg');
        // Only pods that talk to the API get a token.
        const talks = cliContainers(t.spec).some((c) => ['state', 'publish', 'doctor'].includes(c.args[0]));
        expect(t.spec.automountServiceAccountToken, `${dir}: ${t.owner.metadata.name}`).toBe(talks);
      }
    }
  });

  it('every container runs as non-root with a read-only root filesystem, no privilege escalation and resource limits', () => {
    for (const [dir, objects] of each()) {
      for (const t of podTemplates(objects)) {
        const where = `${dir}: ${t.owner.kind}/${t.owner.metadata.name}`;
        expect(t.spec.securityContext.runAsNonRoot, where).toBe(true);
        for (const c of allContainers(t.spec)) {
          const runAsUser = c.securityContext?.runAsUser ?? t.spec.securityContext.runAsUser;
          expect(runAsUser, `${where} ${c.name}`).toBeGreaterThan(0);
          expect(c.securityContext.readOnlyRootFilesystem, `${where} ${c.name}`).toBe(true);
          expect(c.securityContext.allowPrivilegeEscalation, `${where} ${c.name}`).toBe(false);
          expect(c.securityContext.capabilities.drop, `${where} ${c.name}`).toEqual(['ALL']);
          expect(c.resources.requests.memory && c.resources.limits.memory, `${where} ${c.name}`).toBeTruthy();
          // With a read-only root, anything that writes needs a volume: /tmp is HOME.
          expect(c.volumeMounts.map((m: any) => m.mountPath), `${where} ${c.name}`).toEqual(expect.arrayContaining([expect.stringMatching(/^\/(tmp|workspace)$/)]));
        }
      }
    }
    // The image's user matches.
    const containerfile = readFileSync(join(PROJECT_ROOT, 'Containerfile'), 'utf8');
    expect(containerfile).toMatch(/^USER 10001:10001$/m);
    expect(containerfile).toMatch(/^ENTRYPOINT \["ameide-pkg"\]$/m);
  });

  it('uploader: the token is a 0400 secret file passed by --token-file; prometheus scrape annotations; probes on the container port', () => {
    for (const [dir, objects] of each()) {
      const d = find(objects, 'Deployment', 'go-module-uploader')!;
      const pod = d.spec.template;
      const c = pod.spec.containers[0];
      const tokenFile = c.args[c.args.indexOf('--token-file') + 1];
      const mount = c.volumeMounts.find((m: any) => tokenFile.startsWith(m.mountPath + '/'));
      const vol = pod.spec.volumes.find((v: any) => v.name === mount.name);
      expect(vol.secret.defaultMode, dir).toBe(0o400);
      expect(`${mount.mountPath}/${vol.secret.items[0].path}`).toBe(tokenFile);
      expect(mount.readOnly).toBe(true);
      expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': String(c.ports[0].containerPort) });
      expect(c.args[c.args.indexOf('--port') + 1]).toBe(String(c.ports[0].containerPort));
      for (const probe of [c.livenessProbe, c.readinessProbe]) expect(probe.httpGet.port).toBe(c.ports[0].name);
      expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(['/healthz', '/readyz']);
      const svc = find(objects, 'Service', 'go-module-uploader')!;
      expect(svc.spec.ports[0].targetPort).toBe(c.ports[0].name);
      expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    }
  });

  it('the probes answer 200 from `registry serve` started with the manifests\' own args (disk-storage overlays)', async () => {
    for (const dir of ['base', 'overlays/pvc', 'overlays/athens-external']) {
      const c = find(rendered.get(dir)!, 'Deployment', 'go-module-uploader')!.spec.template.spec.containers[0];
      const args: string[] = [...c.args];
      const token = join(tmp('probe-token-'), 'token');
      writeFileSync(token, 'probe-token\n', { mode: 0o400 });
      // Same flags; only the paths and the address are this machine's.
      const set = (flag: string, value: string) => (args[args.indexOf(flag) + 1] = value);
      set('--storage', tmp('probe-storage-'));
      set('--token-file', token);
      if (args.includes('--external-storage-secret-file')) {
        const secret = join(tmp('probe-athens-'), 'secret');
        writeFileSync(secret, 'athens-url-secret-0123456789\n', { mode: 0o400 });
        set('--external-storage-secret-file', secret);
      }
      set('--host', '127.0.0.1');
      set('--port', '0');
      expect(args.slice(0, 2)).toEqual(['registry', 'serve']);
      const reg = await startRegistryProcess(args.slice(2));
      try {
        for (const probe of [c.livenessProbe, c.readinessProbe]) expect((await fetch(reg.url + probe.httpGet.path)).status, `${dir} ${probe.httpGet.path}`).toBe(200);
        // The token from the file is enforced.
        expect((await fetch(`${reg.url}/upload`, { method: 'POST' })).status).toBe(401);
      } finally {
        expect(await reg.stop()).toBe(0);
      }
    }
  });

  /** Check every ameide-pkg argv in these renders; returns the argvs (paths dropped). */
  async function checkFlags(dirs: string[]): Promise<string[]> {
    const globalHelp = (await runCli(['--help'])).stdout;
    const seen: string[] = [];
    for (const dir of dirs) {
      for (const t of podTemplates(rendered.get(dir)!)) {
        for (const c of cliContainers(t.spec)) {
          const argv: string[] = c.args;
          seen.push(argv.filter((a) => !a.startsWith('/')).join(' '));
          const help = await helpFor(argv);
          for (const flag of argv.filter((a) => a.startsWith('-'))) {
            const inHelp = (h: string) => new RegExp(`(^|[\\s,])${flag.replace(/[-]/g, '\\-')}([\\s,]|$)`, 'm').test(h);
            expect(inHelp(help) || inHelp(globalHelp), `${dir}: ${t.owner.metadata.name}/${c.name}: ${argv.join(' ')} — ${flag} is not an option of this command`).toBe(true);
          }
        }
      }
    }
    return seen;
  }

  it('every ameide-pkg command line names a real command and only flags it accepts (read from the built CLI\'s help)', async () => {
    const seen = await checkFlags(['base', 'overlays/pvc', 'overlays/athens-external']);
    // What the manifests promise to run.
    expect(seen).toEqual(expect.arrayContaining(['registry serve --storage --host 0.0.0.0 --port 8080 --token-file', 'registry serve --storage --read-api --host 0.0.0.0 --port 8080 --token-file --external-storage-secret-file', 'doctor --lang all -C', 'publish --lang all --push --json -C', 'state sync -C', 'state check --registry --json -C', 'gc --lang go --storage --keep 20 --older-than 30d --keep-file --dry-run']));
  });

  // The s3 storage flags (`--storage s3://…`, `--s3-path-style`) come with the S3 backend: this
  // reads them from the built CLI's help, so it passes as soon as that lands.
  it('the s3 overlay\'s command lines use only flags `registry serve` accepts', async () => {
    const seen = await checkFlags(['overlays/s3']);
    expect(seen).toContain('registry serve --storage s3://ameide-go-modules --s3-path-style --host 0.0.0.0 --port 8080 --token-file');
  });

  it('every environment variable set for ameide-pkg is one that ameide-pkg, go or the OS reads', async () => {
    for (const [dir, objects] of each()) {
      const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
      for (const t of podTemplates(objects)) {
        for (const c of cliContainers(t.spec)) {
          const names: string[] = (c.env ?? []).map((e: any) => e.name);
          for (const src of c.envFrom ?? []) if (src.configMapRef) names.push(...Object.keys(configMaps.get(src.configMapRef.name) ?? {}));
          for (const n of names) expect(envKnown(n), `${dir}: ${t.owner.metadata.name}/${c.name}: ${n}`).toBe(true);
        }
      }
    }
    // The check can fail.
    expect(envKnown('GO_REGISTRY_TOKN')).toBe(false);
    expect(envKnown('GO_REGISTRY_TOKEN')).toBe(true);
  });

  it('the runner Job: doctor before publish, the seed\'s packages-go-env contract, GONOPROXY=none, Helm/Argo hook annotations', () => {
    const job = find(rendered.get('overlays/pvc')!, 'Job', 'ameide-pkg-publish')!;
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test', 'argocd.argoproj.io/hook': 'PostSync' });
    const spec = job.spec.template.spec;
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.initContainers.map((c: any) => c.name)).toEqual(['checkout', 'doctor']);
    expect(spec.containers.map((c: any) => c.args.slice(0, 3))).toEqual([['publish', '--lang', 'all']]);
    for (const c of [spec.initContainers[1], spec.containers[0]]) {
      expect(c.envFrom.map((e: any) => e.secretRef?.name)).toContain('packages-go-env');
      expect(c.env).toEqual(expect.arrayContaining([{ name: 'GONOPROXY', value: 'none' }, { name: 'GO_REGISTRY_TOKEN', valueFrom: { secretKeyRef: { name: 'ameide-pkg-registry-token', key: 'token' } } }]));
    }
    // Drift: one failed pod is the alert (no retries); gc is an audit by default.
    const drift = find(rendered.get('overlays/pvc')!, 'CronJob', 'ameide-pkg-drift')!;
    expect(drift.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(drift.spec.concurrencyPolicy).toBe('Forbid');
    // Credentials stay out of the drift check: it gets the read-side URLs only.
    const check = drift.spec.jobTemplate.spec.template.spec.containers[0];
    expect(JSON.stringify(check)).not.toMatch(/secret/i);
  });
});
