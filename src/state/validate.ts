import { PACKAGE_RULES } from '../languages/package-rules.js';
import type { StateRecord } from './schema.js';

/**
 * What the zod schema cannot say: every package name and version is valid for the record's
 * ecosystem (npm name + exact semver, PEP 508 name + PEP 440, Go module path + canonical
 * version). A record failing this is refused wherever it is read, before anything is
 * written from it. Pure; null when valid, else the first problem on one line.
 */
export function recordProblem(record: StateRecord): string | null {
  const rule = PACKAGE_RULES[record.language];
  for (const [i, p] of record.packages.entries()) {
    const why = rule(p.name, p.version);
    if (why) return `packages[${i}]: ${why}`;
  }
  // The record's own version names the same kind of thing as its packages' versions.
  const why = rule(record.packages[0]!.name, record.version);
  return why ? `version: ${why}` : null;
}
