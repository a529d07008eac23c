import * as z from 'zod/mini';
import type { RecordRules, StateRecord } from '../model/record.js';

/**
 * The state record (docs/architecture.md §6): `tmp/tilt-packages/<lang>.json` and the ConfigMap value.
 * Helm/Tilt/CI read it, so it is versioned and validated on every read. Which languages exist
 * and what their digests look like comes from the rules the caller passes (the ecosystem
 * table builds them): the state layer knows no ecosystem.
 */
export const STATE_SCHEMA_VERSION = 1;

const re = (r: RegExp, what: string) => z.string().check(z.regex(r, `must be ${what}`));

/** "a sha512- integrity, a sha256:, or an h1: digest", in table order. */
function digestWords(rules: RecordRules): string {
  const words = rules.map((r) => r.digest.description);
  return `${words.length > 2 ? `${words.slice(0, -1).join(', ')}, or ${words.at(-1)}` : words.join(' or ')} digest`;
}

function buildSchema(rules: RecordRules) {
  // Any language's form here; recordProblem then holds each record to its own language's.
  const anyDigest = z.string().check(z.refine((d: string) => rules.some((r) => r.digest.pattern.test(d)), `must be ${digestWords(rules)}`));
  const ids = rules.map((r) => r.language);
  return z.strictObject({
    schemaVersion: z.literal(STATE_SCHEMA_VERSION),
    language: z.enum(ids as [string, ...string[]]),
    version: z.string().check(z.minLength(1)),
    timestamp: re(/^\d{14}$/, 'a UTC YYYYMMDDHHMMSS timestamp'),
    gitSha: re(/^[0-9a-f]{12}$/, '12 lower-case hex characters'),
    publishedAt: re(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'an RFC 3339 UTC time'),
    registry: re(/^(https?|file):\/\/\S+$/, 'an http(s) or file URL'),
    packages: z
      .array(z.strictObject({ name: z.string().check(z.minLength(1)), version: z.string().check(z.minLength(1)), digest: anyDigest }))
      .check(z.minLength(1)),
  });
}

const schemas = new WeakMap<RecordRules, ReturnType<typeof buildSchema>>();

/** The record schema for these languages (built once per rules list). */
export function stateRecordSchema(rules: RecordRules): z.ZodMiniType<StateRecord> {
  let s = schemas.get(rules);
  if (!s) schemas.set(rules, (s = buildSchema(rules)));
  return s as unknown as z.ZodMiniType<StateRecord>;
}

export type { StateRecord };
