import { recordRules } from '../../src/languages/index.js';
import { writeFileSync } from 'node:fs';
import { serializeState } from '../../src/state/files.js';
import type { StateRecord } from '../../src/state/schema.js';

/** The record rules of the ecosystem table, as the CLI passes them to the state layer. */
export const RULES = recordRules();
import { npmShaIdentifier } from '../../src/languages/ts/version.js';

/** A valid state record per language; `n` varies version, timestamp and sha. */
const H1 = 'h1:' + 'A'.repeat(43) + '=';
const SHA512 = 'sha512-' + 'B'.repeat(86) + '==';
const SHA256 = 'sha256:' + 'c'.repeat(64);

export function sampleRecord(language: 'go' | 'ts' | 'python', n: number): StateRecord {
  const ts = `202511060${String(80000 + n).padStart(5, '0')}`.slice(0, 14);
  const sha = n.toString(16).padStart(12, '0');
  const version = language === 'go' ? `v0.0.0-${ts}-${sha}` : language === 'ts' ? `0.12.0-dev.${ts}.${npmShaIdentifier(sha)}` : `0.1.0.dev${ts}+g${sha}`;
  const name = language === 'go' ? 'go.packages.dev.ameide.io/ameide-sdk-go' : language === 'ts' ? '@ameide/sdk' : 'ameide-sdk';
  return {
    schemaVersion: 1,
    language,
    version,
    timestamp: ts,
    gitSha: sha,
    publishedAt: '2025-11-06T08:30:15Z',
    registry: 'http://registry.invalid',
    packages: [{ name, version, digest: language === 'go' ? H1 : language === 'ts' ? SHA512 : SHA256 }],
  };
}

/** Write a go state record pinning `module@version` (a pseudo-version) to `path`: a gc --keep-file. */
export function writeGoKeepFile(path: string, module: string, pinned: { version: string; time: string }, registry: string): string {
  const record: StateRecord = {
    schemaVersion: 1,
    language: 'go',
    version: pinned.version,
    timestamp: pinned.version.split('-')[1]!,
    gitSha: pinned.version.split('-')[2]!,
    publishedAt: pinned.time,
    registry,
    packages: [{ name: module, version: pinned.version, digest: H1 }],
  };
  writeFileSync(path, serializeState(record));
  return path;
}
