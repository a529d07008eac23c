import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, LanguageId } from '../config/schema.js';
import { firstProxy, readEnv } from '../config/env.js';
import { parseGoMod } from '../gomod/modfile.js';
import { loadLanguage } from '../languages/registry.js';
import type { PlannedPackage } from '../languages/types.js';
import { isShallow, repoTopLevel } from '../snapshot/git.js';
import { resolveSnapshot } from '../snapshot/resolve.js';
import { errorMessage } from '../util/errors.js';
import type { Output } from '../util/log.js';
import { checkGoEnv } from './goenv.js';

/**
 * `doctor`: everything that makes a publish or a consumer build fail, found before it does.
 * Each finding says what is wrong, why it matters and the fix. Checks run independently;
 * one failing check never hides the others.
 */
export type Level = 'ok' | 'info' | 'warn' | 'error';

export interface Finding {
  id: string;
  level: Level;
  what: string;
  why?: string;
  fix?: string;
}

export interface DoctorContext {
  root: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  languages: LanguageId[];
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

const trim = (u: string) => u.replace(/\/+$/, '');
const httpProxy = (goproxy: string | undefined) => {
  const first = firstProxy(goproxy ?? '');
  return /^https?:\/\//.test(first) ? first : undefined;
};

export async function checkEnvContract(d: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const id of d.languages) {
    const lang = await loadLanguage(id);
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

export async function checkRegistries(d: DoctorContext): Promise<Finding[]> {
  const checks: Promise<Finding>[] = [];
  const add = (id: string, name: string, url: string | undefined, want: (s: number) => boolean, fix: string) => {
    if (!url) return;
    checks.push(
      probe(url, want).then((r) =>
        r.ok
          ? { id, level: 'ok', what: `${name} ${url}: ${r.detail}` }
          : { id, level: 'error', what: `${name} ${url}: ${r.detail}`, why: 'publish or smoke will fail against it', fix },
      ),
    );
  };
  const valid = (u: string | undefined) => (u && /^https?:\/\//.test(u) ? trim(u) : undefined);
  if (d.languages.includes('go')) {
    const up = valid(d.env.GO_REGISTRY_URL);
    add('health.go-healthz', 'Go uploader /healthz', up && `${up}/healthz`, (s) => s === 200, 'start the uploader (`ameide-pkg registry serve`) or fix GO_REGISTRY_URL');
    add('health.go-readyz', 'Go uploader /readyz', up && `${up}/readyz`, (s) => s === 200, 'the storage is not writable: check the volume mount and permissions');
    const proxy = httpProxy(d.env.GOPROXY);
    add('health.goproxy', 'GOPROXY', proxy && `${proxy}/`, (s) => s < 500, 'start the proxy (Athens or `registry serve --read-api`) or fix GOPROXY');
  }
  if (d.languages.includes('ts')) {
    const npm = valid(d.env.NPM_REGISTRY_URL);
    add('health.npm', 'npm registry ping', npm && `${npm}/-/ping`, (s) => s === 200, 'start the registry (Verdaccio) or fix NPM_REGISTRY_URL');
  }
  if (d.languages.includes('python')) {
    const index = valid(d.env.PIP_INDEX_URL);
    add('health.python-index', 'Python index', index && `${index}/`, (s) => s === 200, 'start the index or fix PIP_INDEX_URL');
  }
  return Promise.all(checks);
}

export async function checkGit(d: DoctorContext): Promise<Finding[]> {
  const top = await repoTopLevel(d.root);
  if (!top) {
    return d.env.SOURCE_GIT_SHA
      ? [{ id: 'git.repo', level: 'info', what: `not a git checkout; SOURCE_GIT_SHA=${d.env.SOURCE_GIT_SHA.slice(0, 12)} names the commit` }]
      : [{ id: 'git.repo', level: 'error', what: `${d.root} is not a git checkout and SOURCE_GIT_SHA is not set`, why: 'every snapshot version carries the commit sha', fix: 'run inside the repository or export SOURCE_GIT_SHA=<commit sha>' }];
  }
  if (!(await isShallow(d.root))) return [{ id: 'git.shallow', level: 'ok', what: 'full clone' }];
  const tags = d.languages.includes('go') && d.config.go?.goBase === 'tags';
  return [
    {
      id: 'git.shallow',
      level: tags ? 'error' : 'warn',
      what: 'shallow clone',
      why: tags
        ? 'go.goBase is "tags": the newest reachable vX.Y.Z tag is missing from a shallow clone, so Go snapshots would be based on the wrong release'
        : 'commit time and sha are still right; anything that needs history or tags (go.goBase "tags") is not',
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
    const names = [...new Set(d.languages.map((l) => d.config.state[l].configMap))];
    const present: string[] = [];
    for (const n of names) if (await client.read(n)) present.push(n);
    return [{ id: 'kube', level: 'ok', what: `${source}: ${client.target.server} namespace ${client.target.namespace}; ConfigMaps present: ${present.join(', ') || 'none yet (push creates them)'}` }];
  } catch (err) {
    return [{ id: 'kube', level: 'error', what: errorMessage(err), why: 'state push after publish will fail, and state sync/check cannot read the cluster', fix: 'see the message; `kubectl auth can-i get configmaps` checks the permission' }];
  }
}

async function goModulePaths(d: DoctorContext): Promise<string[]> {
  const paths: string[] = [];
  for (const m of d.config.go?.modules ?? []) {
    const p = parseGoMod(await readFile(join(d.root, m.dir, 'go.mod'), 'utf8').catch(() => '')).module;
    if (p) paths.push(p);
  }
  return paths;
}

export async function checkGoConsumerEnv(d: DoctorContext): Promise<Finding[]> {
  if (!d.languages.includes('go')) return [];
  const modules = await goModulePaths(d);
  const found = checkGoEnv(d.env, modules);
  return found.length ? found : [{ id: 'go.env', level: 'ok', what: `go reads ${modules.join(', ')} through GOPROXY without the checksum database` }];
}

/** Newest non-prerelease version each registry serves for a package, or null. */
async function latestRelease(lang: LanguageId, name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (lang === 'go') {
    const proxy = httpProxy(env.GOPROXY);
    if (!proxy) return null;
    const { escapePath } = await import('../gomod/escape.js');
    const { isValidSemver, semverPrerelease, compareSemver } = await import('../gomod/semver.js');
    const { request } = await import('undici');
    const res = await request(`${proxy}/${escapePath(name)}/@v/list`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await res.body.text();
    if (res.statusCode !== 200) return null;
    const releases = text.split('\n').filter((v) => isValidSemver(v) && !semverPrerelease(v));
    return releases.sort(compareSemver).at(-1) ?? null;
  }
  if (lang === 'ts') {
    if (!env.NPM_REGISTRY_URL) return null;
    const { fetchPackument } = await import('../languages/ts/npm.js');
    const semver = (await import('semver')).default;
    const doc = await fetchPackument(env.NPM_REGISTRY_URL, name, env.NPM_TOKEN);
    const releases = Object.keys(doc?.versions ?? {}).filter((v) => semver.valid(v) && !semver.prerelease(v));
    return releases.sort(semver.compare).at(-1) ?? null;
  }
  if (!env.PIP_INDEX_URL) return null;
  const { indexFiles } = await import('../languages/python/upload.js');
  const pep440 = await import('@renovatebot/pep440');
  const versions = (await indexFiles(env.PIP_INDEX_URL, name)).map((f) => (f.filename.endsWith('.whl') ? f.filename.split('-')[1] : /^.+-([^-]+)\.(tar\.gz|zip)$/.exec(f.filename)?.[1]) ?? '');
  const releases = versions.filter((v) => {
    const e = pep440.explain(v);
    return e && !e.is_prerelease && !e.is_devrelease;
  });
  return releases.sort(pep440.compare).at(-1) ?? null;
}

async function sortsAfter(lang: LanguageId, a: string, b: string): Promise<boolean> {
  if (lang === 'go') return (await import('../gomod/semver.js')).compareSemver(a, b) > 0;
  if (lang === 'ts') return (await import('semver')).default.gt(a, b);
  return (await import('@renovatebot/pep440')).gt(a, b);
}

export async function checkBaseVersions(d: DoctorContext): Promise<Finding[]> {
  let snapshot;
  try {
    snapshot = await resolveSnapshot({ cwd: d.root, env: d.env, allowDirty: true });
  } catch {
    return []; // git.repo already reports it
  }
  const out: Finding[] = [];
  for (const id of d.languages) {
    let packages: PlannedPackage[];
    try {
      packages = (await (await loadLanguage(id)).plan({ root: d.root, config: d.config, env: d.env, out: d.out }, snapshot)).packages;
    } catch (err) {
      out.push({ id: `base.${id}`, level: 'error', what: `cannot plan ${id} versions: ${errorMessage(err)}`, fix: 'fix the manifest or override variable named in the message' });
      continue;
    }
    for (const p of packages) {
      let latest: string | null;
      try {
        latest = await latestRelease(id, p.name, d.env);
      } catch {
        continue; // health.* reports an unreachable registry
      }
      if (!latest) continue;
      if (!(await sortsAfter(id, p.version, latest))) {
        out.push({
          id: `base.${id}`,
          level: 'error',
          what: `${p.name}: snapshot ${p.version} does not sort after the latest release ${latest}`,
          why: 'consumers resolving "latest"/ranges pick the release, and tools that compare versions treat the snapshot as older',
          fix: id === 'go' ? 'tag the next version or set go.goBase to "tags" (pseudo-versions then build on the newest release)' : `raise the base version above ${latest} in the package manifest`,
        });
      } else out.push({ id: `base.${id}`, level: 'ok', what: `${p.name}: snapshot ${p.version} sorts after the latest release ${latest}` });
    }
  }
  return out;
}

export async function runDoctor(d: DoctorContext): Promise<Finding[]> {
  const groups = await Promise.all([checkEnvContract(d), checkRegistries(d), checkGit(d), checkKube(d), checkGoConsumerEnv(d), checkBaseVersions(d)]);
  return groups.flat();
}
