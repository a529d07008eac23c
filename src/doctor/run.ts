import { readEnv } from '../config/env.js';
import { stateMapping, type Config } from '../config/schema.js';
import { contextFor } from '../languages/index.js';
import type { DoctorFinding, Language } from '../languages/types.js';
import type { PlannedPackage } from '../model/packages.js';
import { isShallow, repoTopLevel } from '../snapshot/git.js';
import { resolveSnapshot } from '../snapshot/resolve.js';
import { errorMessage } from '../util/errors.js';
import type { Output } from '../util/log.js';

/**
 * `doctor`: everything that makes a publish or a consumer build fail, found before it does.
 * Each finding says what is wrong, why it matters and the fix. Checks run independently;
 * one failing check never hides the others. What is particular to an ecosystem — its
 * registries' health URLs, version ordering, its consumer environment — each language
 * answers (`Language.doctor`).
 */
export type { DoctorLevel as Level } from '../languages/types.js';
export type Finding = DoctorFinding;

export interface DoctorContext {
  root: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  languages: Language[];
  out: Output;
  namespace?: string;
}

const TIMEOUT_MS = 3000;

async function probe(url: string, want: (status: number) => boolean): Promise<{ ok: boolean; detail: string }> {
  // undici's request, not fetch: fetch refuses "bad ports" and hides the network error code.
  const { request } = await import('undici');
  try {
    const res = await request(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body.dump();
    return { ok: want(res.statusCode), detail: `HTTP ${res.statusCode}` };
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string }; name?: string };
    return { ok: false, detail: e.code ?? e.cause?.code ?? (e.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS} ms` : errorMessage(err)) };
  }
}

const base = (d: DoctorContext) => ({ root: d.root, config: d.config, env: d.env, out: d.out });

export async function checkEnvContract(d: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const lang of d.languages) {
    const id = lang.id;
    const problems: string[] = [];
    for (const [spec, step] of [
      [lang.publishEnv, 'publish'],
      [lang.smokeEnv, 'smoke'],
    ] as const) {
      try {
        readEnv(spec, d.env, `${id} ${step}`);
      } catch (err) {
        problems.push(errorMessage(err).replace(/ \(see README "Environment"\)$/, ''));
      }
    }
    out.push(
      problems.length
        ? { id: `env.${id}`, level: 'error', what: problems.join('; '), why: `\`ameide-pkg publish --lang ${id}\` exits 2 before publishing anything`, fix: 'export the variables (README "Environment"); `ameide-pkg dev` prints a working set for local use' }
        : { id: `env.${id}`, level: 'ok', what: `${id}: publish and smoke environment complete` },
    );
  }
  return out;
}

/** Every selected language's registry probes, reported in check-id order (stable across tables). */
export async function checkRegistries(d: DoctorContext): Promise<Finding[]> {
  const probes = d.languages.flatMap((l) => l.doctor.probes(d.env)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return Promise.all(
    probes.map((p) =>
      probe(p.url, (s) => p.healthy(s)).then((r): Finding =>
        r.ok ? { id: p.id, level: 'ok', what: `${p.name} ${p.url}: ${r.detail}` } : { id: p.id, level: 'error', what: `${p.name} ${p.url}: ${r.detail}`, why: 'publish or smoke will fail against it', fix: p.fix },
      ),
    ),
  );
}

export async function checkGit(d: DoctorContext): Promise<Finding[]> {
  const top = await repoTopLevel(d.root);
  if (!top) {
    return d.env.SOURCE_GIT_SHA
      ? [{ id: 'git.repo', level: 'info', what: `not a git checkout; SOURCE_GIT_SHA=${d.env.SOURCE_GIT_SHA.slice(0, 12)} names the commit` }]
      : [{ id: 'git.repo', level: 'error', what: `${d.root} is not a git checkout and SOURCE_GIT_SHA is not set`, why: 'every snapshot version carries the commit sha', fix: 'run inside the repository or export SOURCE_GIT_SHA=<commit sha>' }];
  }
  if (!(await isShallow(d.root))) return [{ id: 'git.shallow', level: 'ok', what: 'full clone' }];
  const needs = d.languages.map((l) => l.doctor.needsHistory(d.config[l.id])).find((why) => why !== undefined);
  return [
    {
      id: 'git.shallow',
      level: needs ? 'error' : 'warn',
      what: 'shallow clone',
      why: needs ?? 'commit time and sha are still right; anything that needs history or tags (a language based on tags) is not',
      fix: 'fetch full history: `git fetch --unshallow --tags` (actions/checkout: fetch-depth: 0)',
    },
  ];
}

export async function checkKube(d: DoctorContext): Promise<Finding[]> {
  const { detectKubeConfig } = await import('../kube/access.js');
  const source = detectKubeConfig(d.env);
  if (!source) return [{ id: 'kube', level: 'info', what: 'no cluster configured (KUBECONFIG, ~/.kube/config, in-cluster): state stays in local files, `state push` is skipped' }];
  try {
    const { connectConfigMaps } = await import('../kube/configmaps.js');
    const client = await connectConfigMaps({ namespaceFlag: d.namespace, configNamespace: d.config.namespace });
    const names = [...new Set(d.languages.map((l) => stateMapping(d.config, l.id).configMap))];
    const present: string[] = [];
    for (const n of names) if (await client.read(n)) present.push(n);
    return [{ id: 'kube', level: 'ok', what: `${source}: ${client.target.server} namespace ${client.target.namespace}; ConfigMaps present: ${present.join(', ') || 'none yet (push creates them)'}` }];
  } catch (err) {
    return [{ id: 'kube', level: 'error', what: errorMessage(err), why: 'state push after publish will fail, and state sync/check cannot read the cluster', fix: 'see the message; `kubectl auth can-i get configmaps` checks the permission' }];
  }
}

/** The checks only one ecosystem has (the consumer's Go environment). */
export async function checkLanguageExtras(d: DoctorContext): Promise<Finding[]> {
  return (await Promise.all(d.languages.map((l) => l.doctor.extra(contextFor(l, base(d)))))).flat();
}

export async function checkBaseVersions(d: DoctorContext): Promise<Finding[]> {
  let snapshot;
  try {
    snapshot = await resolveSnapshot({ cwd: d.root, env: d.env, allowDirty: true });
  } catch {
    return []; // git.repo already reports it
  }
  const out: Finding[] = [];
  for (const lang of d.languages) {
    const id = lang.id;
    let packages: PlannedPackage[];
    try {
      packages = (await lang.plan(contextFor(lang, base(d)), snapshot)).packages;
    } catch (err) {
      out.push({ id: `base.${id}`, level: 'error', what: `cannot plan ${id} versions: ${errorMessage(err)}`, fix: 'fix the manifest or override variable named in the message' });
      continue;
    }
    for (const p of packages) {
      let latest: string | null;
      try {
        latest = await lang.doctor.latestRelease(p.name, d.env);
      } catch {
        continue; // health.* reports an unreachable registry
      }
      if (!latest) continue;
      if (!(await lang.doctor.sortsAfter(p.version, latest))) {
        out.push({
          id: `base.${id}`,
          level: 'error',
          what: `${p.name}: snapshot ${p.version} does not sort after the latest release ${latest}`,
          why: 'consumers resolving "latest"/ranges pick the release, and tools that compare versions treat the snapshot as older',
          fix: lang.doctor.raiseBase(latest),
        });
      } else out.push({ id: `base.${id}`, level: 'ok', what: `${p.name}: snapshot ${p.version} sorts after the latest release ${latest}` });
    }
  }
  return out;
}

export async function runDoctor(d: DoctorContext): Promise<Finding[]> {
  const groups = await Promise.all([checkEnvContract(d), checkRegistries(d), checkGit(d), checkKube(d), checkLanguageExtras(d), checkBaseVersions(d)]);
  return groups.flat();
}
