import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateRecord } from '../../model/record.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { CliError, EXIT } from '../../util/errors.js';
import type { PinEdit, PinPlan } from '../types.js';

/** `pin --lang ts`: exact versions in the consumer's package.json (added to dependencies if absent). */
const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

export async function planTsPin(record: StateRecord, dir: string): Promise<PinPlan> {
  const path = join(dir, 'package.json');
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CliError(`pin --lang ts: no package.json in ${dir} — pass --dir <consumer>`, EXIT.usage);
  });
  const pkg = JSON.parse(text) as Record<string, Record<string, string> | unknown>;
  const indent = /^(\s+)"/m.exec(text)?.[1] ?? '  ';
  const edits: PinEdit[] = [];
  for (const p of record.packages) {
    const fields = DEP_FIELDS.filter((f) => (pkg[f] as Record<string, string> | undefined)?.[p.name] !== undefined);
    if (!fields.length) {
      pkg.dependencies = { ...((pkg.dependencies as Record<string, string>) ?? {}), [p.name]: p.version };
      edits.push({ file: 'package.json', change: `dependencies.${p.name} (none) → ${p.version}` });
    }
    for (const f of fields) {
      const deps = pkg[f] as Record<string, string>;
      if (deps[p.name] === p.version) continue;
      edits.push({ file: 'package.json', change: `${f}.${p.name} ${deps[p.name]} → ${p.version}` });
      deps[p.name] = p.version;
    }
  }
  return { edits, apply: async () => void (edits.length && (await writeFileAtomic(path, JSON.stringify(pkg, null, indent) + '\n'))) };
}
