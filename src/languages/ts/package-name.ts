import { builtinModules } from 'node:module';

/**
 * npm's package-name rules, as `validate-npm-package-name` (the module npm itself uses)
 * applies them to NEW packages (`validForNewPackages`): exactly the names `npm publish`
 * accepts. A port rather than a dependency: the rules are twenty lines, and this runs on
 * every state-record read. test/unit/package-rules.test.ts holds it to the copy npm bundles.
 *
 * Returns null when valid, else the first rule broken (the package's own wording).
 */
const SCOPED = /^(?:@([^/]+?)[/])?([^/]+?)$/;
const EXCLUDED = ['node_modules', 'favicon.ico'];
const urlSafe = (s: string) => encodeURIComponent(s) === s;

export function npmNameProblem(name: string): string | null {
  if (!name.length) return 'name length must be greater than zero';
  if (name.startsWith('.')) return 'name cannot start with a period';
  if (name.startsWith('-')) return 'name cannot start with a hyphen';
  if (name.startsWith('_')) return 'name cannot start with an underscore';
  if (name.trim() !== name) return 'name cannot contain leading or trailing spaces';
  const lower = name.toLowerCase();
  if (EXCLUDED.includes(lower)) return `${lower} is not a valid package name`;
  // Node's list, not the package's snapshot of it: names only it has ("node:test") contain ':'
  // and fail the URL-friendly rule below anyway.
  if (builtinModules.includes(lower)) return 'name is a core module name';
  if (name.length > 214) return 'name can no longer contain more than 214 characters';
  if (lower !== name) return 'name can no longer contain capital letters';
  if (/[~'!()*]/.test(name.split('/').at(-1)!)) return 'name can no longer contain special characters ("~\'!()*")';
  if (!urlSafe(name)) {
    // Only "@scope/pkg" may contain characters a URL would escape (the "@" and the "/").
    const m = SCOPED.exec(name);
    const [, scope, pkg] = m ?? [];
    if (pkg?.startsWith('.')) return 'name cannot start with a period';
    if (scope === undefined || pkg === undefined || !urlSafe(scope) || !urlSafe(pkg)) return 'name can only contain URL-friendly characters';
  }
  return null;
}
