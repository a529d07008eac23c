import { indexFiles } from './upload.js';

/** The version a wheel or sdist file name carries (`name-1.2.3-py3-none-any.whl`, `name-1.2.3.tar.gz`). */
function fileVersion(filename: string): string {
  return (filename.endsWith('.whl') ? filename.split('-')[1] : /^.+-([^-]+)\.(tar\.gz|zip)$/.exec(filename)?.[1]) ?? '';
}

/** Newest final release (no pre- or dev-release) the index lists for a project, or null. */
export async function latestPythonRelease(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (!env.PIP_INDEX_URL) return null;
  const pep440 = await import('@renovatebot/pep440');
  const versions = (await indexFiles(env.PIP_INDEX_URL, name)).map((f) => fileVersion(f.filename));
  const releases = versions.filter((v) => {
    const e = pep440.explain(v);
    return e && !e.is_prerelease && !e.is_devrelease;
  });
  return releases.sort(pep440.compare).at(-1) ?? null;
}
