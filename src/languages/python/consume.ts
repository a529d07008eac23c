import type { StateRecord } from '../../model/record.js';
import { onPath } from '../../util/path.js';
import { inTempDir, outputTail } from '../../util/temp.js';
import type { ConsumerResult } from '../types.js';
import { pipDownload } from './pip.js';

/** A consumer's `pip download` of each recorded version from PIP_INDEX_URL. */
export async function consumePython(record: StateRecord, env: NodeJS.ProcessEnv, installHint: string): Promise<ConsumerResult> {
  if (!(await onPath('pip'))) return { language: 'python', ok: true, skipped: `pip not installed: ${installHint}`, detail: 'skipped' };
  return inTempDir('ameide-consumer-pip-', async (dir) => {
    const done: string[] = [];
    const wheels: string[] = [];
    for (const p of record.packages) {
      const spec = `${p.name}==${p.version}`;
      const r = await pipDownload(env.PIP_INDEX_URL!, spec, dir);
      if (!r.ok) return { language: 'python', ok: false, detail: `pip download ${spec} failed: ${outputTail(r.output)}` };
      done.push(spec);
      if (r.wheel) wheels.push(r.wheel);
    }
    return { language: 'python', ok: wheels.length >= record.packages.length, detail: `pip download ${done.join(' ')} → ${wheels.join(', ')}` };
  });
}
