import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateRecord } from '../../model/record.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { PinEdit, PinPlan } from '../types.js';
import { normalizeProjectName } from '../../pypa/name.js';

/** `pin --lang python`: one `<name>==<version>` line per package in a constraints file. */
export async function planPythonPin(record: StateRecord, dir: string, file = 'constraints.txt'): Promise<PinPlan> {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text ? text.replace(/\n$/, '').split('\n') : [];
  const edits: PinEdit[] = [];
  for (const p of record.packages) {
    const want = `${p.name}==${p.version}`;
    const i = lines.findIndex((l) => {
      const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(l)?.[1];
      return name !== undefined && normalizeProjectName(name) === normalizeProjectName(p.name);
    });
    if (i === -1) {
      lines.push(want);
      edits.push({ file, change: `add ${want}` });
    } else if (lines[i]!.trim() !== want) {
      edits.push({ file, change: `${lines[i]!.trim()} → ${want}` });
      lines[i] = want;
    }
  }
  return { edits, apply: async () => void (edits.length && (await writeFileAtomic(path, lines.join('\n') + '\n'))) };
}
