import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

/** Is an executable `bin` on PATH? Checked on disk, without spawning it. */
export async function onPath(bin: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      await access(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      /* keep looking */
    }
  }
  return false;
}
