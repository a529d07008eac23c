import type { PublishOutcome, VersionPlan } from '../model/packages.js';
import { STATE_SCHEMA_VERSION, type StateRecord } from './schema.js';

/** Build the state record of a published+smoked language. Pure. */
export function buildStateRecord(plan: VersionPlan, outcome: PublishOutcome, publishedAt: Date): StateRecord {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    language: plan.language,
    version: outcome.packages[0]?.version ?? plan.packages[0]!.version,
    timestamp: plan.snapshot.timestamp,
    gitSha: plan.snapshot.gitSha,
    publishedAt: publishedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    registry: outcome.registry,
    packages: outcome.packages.map((p) => ({ name: p.name, version: p.version, digest: p.digest })),
  };
}
