import type { Snapshot } from '../../snapshot/resolve.js';
import type { VersionPlan } from '../../model/packages.js';
import type { LanguageContext } from '../types.js';
import type { PythonConfig } from './config.js';
import { readPythonProject } from './project.js';
import { PYTHON_OVERRIDE_VAR, pythonBaseVersion, pythonOverrideVersion, pythonSnapshotVersion } from './version.js';

export async function planPython(ctx: LanguageContext<PythonConfig>, snapshot: Snapshot): Promise<VersionPlan> {
  const cfg = ctx.section;
  const overrideRaw = ctx.env[PYTHON_OVERRIDE_VAR];
  const override = overrideRaw ? pythonOverrideVersion(overrideRaw) : undefined;
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
