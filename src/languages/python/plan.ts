import type { Snapshot } from '../../snapshot/resolve.js';
import type { LanguageContext, VersionPlan } from '../types.js';
import { readPythonProject } from './project.js';
import { PYTHON_OVERRIDE_VAR, pythonBaseVersion, pythonOverrideVersion, pythonSnapshotVersion } from './version.js';

export async function planPython(ctx: LanguageContext, snapshot: Snapshot): Promise<VersionPlan> {
  const cfg = ctx.config.python!;
  const override = ctx.env[PYTHON_OVERRIDE_VAR] ? pythonOverrideVersion(ctx.env[PYTHON_OVERRIDE_VAR]!) : undefined;
  const packages = [];
  for (const p of cfg.packages) {
    const proj = await readPythonProject(ctx.root, p.dir, p.versionFile);
    const base = pythonBaseVersion(proj.baseVersion, `${p.dir}/${p.versionFile}`);
    packages.push({
      name: proj.name,
      dir: proj.dir,
      base: override ? 'override' : base,
      version: override ?? pythonSnapshotVersion(base, snapshot, cfg.localVersion),
    });
  }
  return { language: 'python', snapshot, override, packages };
}
