import * as pep440 from '@renovatebot/pep440';
import type { Snapshot } from '../../snapshot/resolve.js';
import { isValidProjectName } from '../../pypa/index.js';
import { usageError } from '../../util/errors.js';

/**
 * PEP 440 snapshot versions: `<base>.dev<timestamp>+g<sha>` (docs/architecture.md §4). Pure.
 * Emitted versions are always in normalized form, so the string in the wheel's file name,
 * its METADATA and the state file are identical.
 */
export const PYTHON_OVERRIDE_VAR = 'AMEIDE_PYTHON_SDK_VERSION';

export function isNormalizedPep440(v: string): boolean {
  return pep440.valid(v) !== null && pep440.clean(v) === v;
}

/** The base must be a plain PEP 440 release (pre-releases allowed; no dev, post or local part). */
export function pythonBaseVersion(raw: string, where: string): string {
  const e = pep440.explain(raw);
  if (!e) throw usageError(`${where}: BASE_VERSION "${raw}" is not a PEP 440 version`);
  if (e.dev !== null || e.local !== null || e.post !== null) {
    throw usageError(`${where}: BASE_VERSION "${raw}" must be a release like 0.1.0 (no .dev, .post or +local part)`);
  }
  return pep440.clean(raw)!;
}

export function pythonSnapshotVersion(
  base: string,
  snap: Pick<Snapshot, 'timestamp' | 'gitSha'>,
  localVersion: boolean,
): string {
  const v = `${base}.dev${snap.timestamp}${localVersion ? `+g${snap.gitSha}` : ''}`;
  if (!isNormalizedPep440(v)) throw new Error(`internal: computed Python version ${v} is not normalized PEP 440`);
  return v;
}

/** The public part (no `+local`): what a `pip install name==…` pin uses. */
export function publicVersion(v: string): string {
  return v.split('+')[0]!;
}

export function pythonOverrideVersion(value: string): string {
  const v = value.trim();
  const clean = pep440.valid(v) ? pep440.clean(v) : null;
  if (!clean) throw usageError(`${PYTHON_OVERRIDE_VAR}="${value}" is not a valid PEP 440 version (e.g. 1.2.0 or 1.2.0rc1)`);
  return clean;
}


/**
 * Is (name, version) a distribution pip can be pinned to with `name==version`? null when
 * yes, else why not. What every reader of a python state record checks (its `record.checkPackage`, see index.ts).
 */
export function validatePythonPackage(name: string, version: string): string | null {
  if (!isValidProjectName(name)) return `${JSON.stringify(name)} is not a valid Python distribution name (PEP 508: letters, digits, . _ -)`;
  if (pep440.valid(version) === null) return `${JSON.stringify(version)} is not a valid PEP 440 version for ${name}`;
  return null;
}
