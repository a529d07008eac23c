import type { RecordRules, StateRecord } from '../model/record.js';

/**
 * What the zod schema cannot say: every digest has its own ecosystem's form, and every
 * package name and version is valid for the record's ecosystem (npm name + exact semver,
 * PEP 508 name + PEP 440, Go module path + canonical version). A record failing this is
 * refused wherever it is read, before anything is written from it. Pure; null when valid,
 * else the first problem on one line.
 */
export function recordProblem(record: StateRecord, rules: RecordRules): string | null {
  // The schema admitted only the table's languages.
  const rule = rules.find((r) => r.language === record.language)!;
  for (const [i, p] of record.packages.entries()) {
    if (!rule.digest.pattern.test(p.digest)) return `packages[${i}].digest: must be ${rule.digest.description} digest for ${record.language}`;
    const why = rule.checkPackage(p.name, p.version);
    if (why) return `packages[${i}]: ${why}`;
  }
  // The record's own version names the same kind of thing as its packages' versions.
  const why = rule.checkPackage(record.packages[0]!.name, record.version);
  return why ? `version: ${why}` : null;
}
