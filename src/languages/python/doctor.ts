import { versionFromFileName } from '../../pypa/filename.js';
import { indexFiles } from './upload.js';

/** Newest final release (no pre- or dev-release) the index lists for a project, or null. */
export async function latestPythonRelease(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (!env.PIP_INDEX_URL) return null;
  const pep440 = await import('@renovatebot/pep440');
  const versions = (await indexFiles(env.PIP_INDEX_URL, name)).map((f) => versionFromFileName(f.filename));
  const releases = versions.filter((v): v is string => {
    const e = v === null ? null : pep440.explain(v);
    return e !== null && !e.is_prerelease && !e.is_devrelease;
  });
  return releases.sort(pep440.compare).at(-1) ?? null;
}
