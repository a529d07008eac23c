import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { usageError } from '../../util/errors.js';

/** What the publisher needs to know about one Python project (pyproject.toml + version file). */
export interface PythonProject {
  dir: string;
  /** Distribution name exactly as pyproject spells it. */
  name: string;
  backend: 'setuptools' | 'hatchling' | 'other';
  /** How the version reaches the build backend. */
  versionSource: { kind: 'static' } | { kind: 'setuptools-attr'; attr: string } | { kind: 'hatch-path'; path: string };
  versionFile: string;
  baseVersion: string;
}

const BASE_RE = /^BASE_VERSION\s*(?::\s*str\s*)?=\s*["']([^"']+)["']/m;

export function readBaseVersion(source: string): string | null {
  return BASE_RE.exec(source)?.[1] ?? null;
}

export async function readPythonProject(root: string, dir: string, versionFile: string): Promise<PythonProject> {
  const abs = join(root, dir);
  const pyprojectPath = join(abs, 'pyproject.toml');
  let doc: Record<string, any>;
  try {
    doc = parseToml(await readFile(pyprojectPath, 'utf8')) as Record<string, any>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw usageError(`no pyproject.toml in ${dir} (python.packages[].dir)`);
    throw usageError(`${dir}/pyproject.toml is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  const project = doc.project as Record<string, any> | undefined;
  const name = project?.name;
  if (typeof name !== 'string' || !name) throw usageError(`${dir}/pyproject.toml has no [project] name`);
  const buildBackend = String(doc['build-system']?.['build-backend'] ?? '');
  const backend = buildBackend.startsWith('setuptools') ? 'setuptools' : buildBackend.startsWith('hatchling') ? 'hatchling' : 'other';

  let versionSource: PythonProject['versionSource'] = { kind: 'static' };
  const dynamic: string[] = Array.isArray(project?.dynamic) ? project.dynamic : [];
  if (dynamic.includes('version')) {
    const attr = doc.tool?.setuptools?.dynamic?.version?.attr;
    const hatchPath = doc.tool?.hatch?.version?.path;
    if (typeof attr === 'string') versionSource = { kind: 'setuptools-attr', attr };
    else if (typeof hatchPath === 'string') versionSource = { kind: 'hatch-path', path: hatchPath };
    else throw usageError(`${dir}/pyproject.toml: dynamic version must come from [tool.setuptools.dynamic] version.attr or [tool.hatch.version] path`);
  }

  const vfPath = join(abs, versionFile);
  let vfSource: string;
  try {
    vfSource = await readFile(vfPath, 'utf8');
  } catch {
    throw usageError(`version file ${dir}/${versionFile} not found (python.packages[].versionFile)`);
  }
  const baseVersion = readBaseVersion(vfSource);
  if (!baseVersion) throw usageError(`${dir}/${versionFile} does not define BASE_VERSION = "X.Y.Z"`);
  return { dir: abs, name, backend, versionSource, versionFile, baseVersion };
}
