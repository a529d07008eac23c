import * as z from 'zod/mini';
import { LANGUAGE_IDS } from '../config/schema.js';

/**
 * The state record (docs/architecture.md §6): `tmp/tilt-packages/<lang>.json` and the ConfigMap value.
 * Helm/Tilt/CI read it, so it is versioned and validated on every read.
 */
export const STATE_SCHEMA_VERSION = 1;

const re = (r: RegExp, what: string) => z.string().check(z.regex(r, `must be ${what}`));

const digest = re(
  /^(h1:[A-Za-z0-9+/]{43}=|sha512-[A-Za-z0-9+/]{86}==|sha1-[A-Za-z0-9+/]{27}=|sha256:[0-9a-f]{64})$/,
  'an h1:, sha512- integrity, or sha256: digest',
);

export const StatePackageSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  version: z.string().check(z.minLength(1)),
  digest,
});

export const StateRecordSchema = z.strictObject({
  schemaVersion: z.literal(STATE_SCHEMA_VERSION),
  language: z.enum(LANGUAGE_IDS),
  version: z.string().check(z.minLength(1)),
  timestamp: re(/^\d{14}$/, 'a UTC YYYYMMDDHHMMSS timestamp'),
  gitSha: re(/^[0-9a-f]{12}$/, '12 lower-case hex characters'),
  publishedAt: re(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'an RFC 3339 UTC time'),
  registry: re(/^(https?|file):\/\/\S+$/, 'an http(s) or file URL'),
  packages: z.array(StatePackageSchema).check(z.minLength(1)),
});

export type StateRecord = z.output<typeof StateRecordSchema>;
