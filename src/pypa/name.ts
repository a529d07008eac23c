/**
 * Python project names (docs/architecture.md §3: the Python packaging rules both the client
 * and the index use). Pure; judged by `packaging.utils` in test/unit/pypa.test.ts.
 */

/**
 * PEP 503 normalisation, as `packaging.utils.canonicalize_name` does it: lower case, and every
 * run of `-`, `_`, `.` becomes one `-`. The key for index URLs, storage and name comparison.
 */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * PEP 508's name rule (what packaging's Requirement parser and PyPI apply): ASCII letters,
 * digits and `. _ -`, starting and ending with a letter or digit. Deliberately ASCII-only where
 * Python's case-insensitive match also lets the Kelvin sign or a long s through: names become
 * paths and URLs, and those would not normalise to ASCII.
 */
export function isValidProjectName(name: string): boolean {
  return /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name);
}
