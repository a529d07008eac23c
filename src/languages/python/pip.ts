import { readdir } from 'node:fs/promises';
import { childEnv } from '../../util/child-env.js';

/**
 * The consumer's read path, as pip walks it: `pip download` of one exact requirement from one
 * index, binary only, no dependencies, isolated from the user's pip config. `wheel` is the
 * wheel it fetched into `dir` (null when none); `output` is what pip printed.
 */
export async function pipDownload(indexUrl: string, spec: string, dir: string): Promise<{ ok: boolean; wheel: string | null; output: string }> {
  const { execa } = await import('execa');
  const before = new Set(await readdir(dir));
  const r = await execa('pip', ['download', '--isolated', '--no-deps', '--only-binary', ':all:', '--index-url', indexUrl, '-d', dir, spec], {
    reject: false,
    all: true,
    env: childEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1' }),
  });
  const wheel = (await readdir(dir)).find((f) => f.endsWith('.whl') && !before.has(f)) ?? null;
  return { ok: r.exitCode === 0, wheel, output: String(r.all ?? '') };
}
