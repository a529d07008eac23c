import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import yauzl from 'yauzl';
import { failure, usageError } from '../../util/errors.js';
import { childEnv } from '../../util/child-env.js';
import type { PythonProject } from './project.js';

/**
 * Build wheel + sdist from a STAGED copy of the project (the repo is never touched), with
 * the snapshot version written where the backend reads it.
 */
export interface BuiltDist {
  path: string;
  filename: string;
  filetype: 'bdist_wheel' | 'sdist';
  pyversion: string;
}

const STAGE_SKIP = /(^|\/)(build|dist|__pycache__|\.tox|\.venv|[^/]+\.egg-info)(\/|$)/;

/** Put `__version__ = "<v>"` first in the version module (setuptools attr: and hatch path: read the first). Pure. */
export function rewriteVersionModule(source: string, version: string): string {
  const lines = source.split('\n').filter((l) => !/^__version__\s*(:\s*str\s*)?=/.test(l));
  let insertAt = 0;
  while (insertAt < lines.length && /^(from __future__ import|#)/.test(lines[insertAt]!)) insertAt++;
  lines.splice(insertAt, 0, `__version__ = ${JSON.stringify(version)}`);
  return lines.join('\n');
}

/** Replace a static `version = "…"` inside [project]. Pure. */
export function rewriteStaticVersion(pyproject: string, version: string): string {
  const out: string[] = [];
  let inProject = false;
  let done = false;
  for (const line of pyproject.split('\n')) {
    if (/^\s*\[/.test(line)) inProject = /^\s*\[project\]\s*$/.test(line);
    if (inProject && !done && /^\s*version\s*=/.test(line)) {
      out.push(`version = ${JSON.stringify(version)}`);
      done = true;
      continue;
    }
    out.push(line);
  }
  if (!done) throw usageError('pyproject.toml has a static version but no `version =` line in [project]');
  return out.join('\n');
}

export async function stageProject(project: PythonProject, version: string): Promise<string> {
  const stage = join(await mkdtemp(join(tmpdir(), 'ameide-py-')), basename(project.dir));
  await cp(project.dir, stage, { recursive: true, filter: (src) => !STAGE_SKIP.test(src.slice(project.dir.length)) });
  if (project.versionSource.kind === 'static') {
    const p = join(stage, 'pyproject.toml');
    await writeFile(p, rewriteStaticVersion(await readFile(p, 'utf8'), version));
  } else {
    const file = project.versionSource.kind === 'hatch-path' ? project.versionSource.path : project.versionFile;
    const p = join(stage, file);
    await writeFile(p, rewriteVersionModule(await readFile(p, 'utf8'), version));
  }
  return stage;
}

/** First interpreter that can `import build` (Debian's system python on these machines). */
export async function findBuildInterpreter(configured?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { execa } = await import('execa');
  // AMEIDE_PKG_PYTHON picks the interpreter per machine without editing the checked-in config.
  const chosen = env.AMEIDE_PKG_PYTHON || configured;
  const candidates = chosen ? [chosen] : ['/usr/bin/python3', 'python3', 'python'];
  for (const py of candidates) {
    const r = await execa(py, ['-c', 'import build'], { reject: false, env: childEnv() });
    if (r.exitCode === 0) return py;
  }
  throw failure(
    `no Python interpreter with the "build" module (tried ${candidates.join(', ')}): install it with \`apt-get install python3-build python3-setuptools python3-wheel\` or set python.interpreter in the config`,
  );
}

export async function buildDists(stage: string, project: PythonProject, opts: { interpreter: string; buildCommand?: string[]; sourceDateEpoch?: number }): Promise<BuiltDist[]> {
  const { execa } = await import('execa');
  const outdir = await mkdtemp(join(tmpdir(), 'ameide-py-dist-'));
  const cmd = opts.buildCommand
    ? opts.buildCommand.map((a) => a.replaceAll('{python}', opts.interpreter).replaceAll('{outdir}', outdir))
    : [opts.interpreter, '-m', 'build', '--no-isolation', ...(project.backend === 'hatchling' ? ['--skip-dependency-check'] : []), '--sdist', '--wheel', '--outdir', outdir, '.'];
  const r = await execa(cmd[0]!, cmd.slice(1), { cwd: stage, reject: false, all: true, env: childEnv({ PIP_NO_INPUT: '1', ...(opts.sourceDateEpoch ? { SOURCE_DATE_EPOCH: String(Math.max(opts.sourceDateEpoch, 315532800)) } : {}) }) });
  if (r.exitCode !== 0) {
    const tail = String(r.all ?? '').trim().split('\n').slice(-8).join('\n');
    throw failure(`python build of ${project.name} failed (${cmd.slice(0, 3).join(' ')} …, exit ${r.exitCode}):\n${tail}`);
  }
  const files = (await readdir(outdir)).sort();
  const dists: BuiltDist[] = files
    .filter((f) => f.endsWith('.whl') || f.endsWith('.tar.gz'))
    .map((f) => ({
      path: join(outdir, f),
      filename: f,
      filetype: f.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
      pyversion: f.endsWith('.whl') ? (f.slice(0, -4).split('-').at(-3) ?? 'py3') : 'source',
    }));
  if (!dists.some((d) => d.filetype === 'bdist_wheel')) throw failure(`python build of ${project.name} produced no wheel (got ${files.join(', ') || 'nothing'})`);
  return dists;
}

/** METADATA of a wheel, parsed into header fields (first value wins). */
export async function wheelMetadata(wheel: string): Promise<Record<string, string>> {
  const text = await new Promise<string>((resolve, reject) => {
    yauzl.open(wheel, { lazyEntries: true }, (err, zf) => {
      if (err || !zf) return reject(err);
      zf.on('entry', (e: yauzl.Entry) => {
        if (/^[^/]+\.dist-info\/METADATA$/.test(e.fileName)) {
          zf.openReadStream(e, (er, s) => {
            if (er || !s) return reject(er);
            const chunks: Buffer[] = [];
            s.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
              zf.close();
              resolve(Buffer.concat(chunks).toString('utf8'));
            });
          });
        } else zf.readEntry();
      });
      zf.on('end', () => reject(new Error(`${basename(wheel)} has no METADATA`)));
      zf.readEntry();
    });
  });
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') break;
    const m = /^([A-Za-z-]+):\s?(.*)$/.exec(line);
    if (m && !(m[1]!.toLowerCase() in fields)) fields[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return fields;
}
