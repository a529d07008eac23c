import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateRecord } from '../../model/record.js';
import { onPath } from '../../util/path.js';
import { inTempDir, outputTail } from '../../util/temp.js';
import type { ConsumerResult } from '../types.js';

/** A consumer's `go build` of a module that imports each recorded package, through GOPROXY only. */
export async function consumeGo(record: StateRecord, env: NodeJS.ProcessEnv, installHint: string): Promise<ConsumerResult> {
  if (!(await onPath('go'))) return { language: 'go', ok: true, skipped: `go not installed: ${installHint}`, detail: 'skipped' };
  const { execa } = await import('execa');
  return inTempDir('ameide-consumer-go-', async (dir) => {
    const app = join(dir, 'app');
    await mkdir(app);
    const requires = record.packages.map((p) => `require ${p.name} ${p.version}`).join('\n');
    await writeFile(join(app, 'go.mod'), `module example.com/ameide-consumer\n\ngo 1.19\n\n${requires}\n`);
    const imports = record.packages.map((p) => `\t_ "${p.name}"`).join('\n');
    await writeFile(join(app, 'main.go'), `package main\n\nimport (\n${imports}\n)\n\nfunc main() {}\n`);
    // A whitelist, stricter than childEnv: the build must see only the consumer's GOPROXY.
    const goEnv = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      GOPATH: join(dir, 'gopath'),
      GOMODCACHE: join(dir, 'gopath', 'pkg', 'mod'),
      GOCACHE: join(dir, 'gocache'),
      GOPROXY: env.GOPROXY!,
      GOFLAGS: '-mod=mod',
      GOWORK: 'off',
      GOSUMDB: 'off',
      GOTOOLCHAIN: 'local',
    };
    const r = await execa('go', ['build', '-o', join(dir, 'consumer'), '.'], { cwd: app, env: goEnv, extendEnv: false, reject: false, all: true });
    await execa('chmod', ['-R', 'u+w', dir], { reject: false });
    if (r.exitCode !== 0) return { language: 'go', ok: false, detail: `go build failed: ${outputTail(r.all)}` };
    return { language: 'go', ok: true, detail: `go build with ${record.packages.map((p) => `${p.name}@${p.version}`).join(' ')}` };
  });
}
