import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateRecord } from '../../model/record.js';
import { childEnv } from '../../util/child-env.js';
import { inTempDir, outputTail } from '../../util/temp.js';
import type { ConsumerResult } from '../types.js';

/** A consumer's `npm install` of each recorded version from NPM_REGISTRY_URL, then `require` of it. */
export async function consumeTs(record: StateRecord, env: NodeJS.ProcessEnv): Promise<ConsumerResult> {
  const { execa } = await import('execa');
  return inTempDir('ameide-consumer-npm-', async (dir) => {
    await writeFile(join(dir, 'package.json'), '{"name":"ameide-consumer","version":"1.0.0","private":true}\n');
    const specs = record.packages.map((p) => `${p.name}@${p.version}`);
    // Reads need no credentials; an empty userconfig keeps the user's ~/.npmrc out of it.
    const npmEnv = childEnv({ npm_config_userconfig: join(dir, '.npmrc'), npm_config_registry: env.NPM_REGISTRY_URL });
    await writeFile(join(dir, '.npmrc'), '');
    const inst = await execa('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], { cwd: dir, env: npmEnv, reject: false, all: true });
    if (inst.exitCode !== 0) return { language: 'ts', ok: false, detail: `npm install failed: ${outputTail(inst.all)}` };
    for (const p of record.packages) {
      const installed = JSON.parse(await readFile(join(dir, 'node_modules', p.name, 'package.json'), 'utf8')) as { version: string };
      if (installed.version !== p.version) return { language: 'ts', ok: false, detail: `${p.name} installed ${installed.version}, want ${p.version}` };
      const load = await execa(process.execPath, ['-e', `require(${JSON.stringify(p.name)})`], { cwd: dir, env: childEnv(), reject: false, all: true });
      if (load.exitCode !== 0) return { language: 'ts', ok: false, detail: `require("${p.name}") failed: ${outputTail(load.all)}` };
    }
    return { language: 'ts', ok: true, detail: `npm install ${specs.join(' ')}` };
  });
}
