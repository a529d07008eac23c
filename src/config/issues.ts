import type * as z from 'zod/mini';

/** One line per zod issue: `path: message`, so every problem is reported at once. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(root)';
    if (i.code === 'unrecognized_keys') return `${path}: unknown key(s) ${i.keys.join(', ')}`;
    if (i.code === 'invalid_type') return `${path}: expected ${i.expected}`;
    if (i.code === 'invalid_value') return `${path}: must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}
