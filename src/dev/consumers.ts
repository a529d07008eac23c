import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageId } from '../config/schema.js';
import type { StateRecord } from '../state/schema.js';
import { onPath } from '../util/path.js';
import { childEnv } from '../util/child-env.js';

/**
 * Install what a state record names the way a consumer would, with the real client:
 * `npm install` + `require`, `pip download` of the exact version, `go build` of a module
 * that imports each Go package. A missing client is reported with its install command,
 * never silently passed.
 */
export interface ConsumerResult {
  language: LanguageId;
  ok: boolean;
  skipped?: string;
  detail: string;
}

export const INSTALL_HINTS = {
  go: 'sudo apt-get install golang-go',
  pip: 'sudo apt-get install python3-pip',
  pythonBuild: 'sudo apt-get install python3-build python3-setuptools python3-wheel',
} as const;

async function inTemp<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const tail = (s: unknown) => String(s ?? '').trim().split('\n').slice(-3).join(' | ');

export async function consumeTs(record: StateRecord, env: Record<string, string>): Promise<ConsumerResult> {
  const { execa } = await import('execa');
  return inTemp('ameide-consumer-npm-', async (dir) => {
    await writeFile(join(dir, 'package.json'), '{"name":"ameide-consumer","version":"1.0.0","private":true}\n');
    const specs = record.packages.map((p) => `${p.name}@${p.version}`);
    // Reads need no credentials; an empty userconfig keeps the user's ~/.npmrc out of it.
    const npmEnv = childEnv({ npm_config_userconfig: join(dir, '.npmrc'), npm_config_registry: env.NPM_REGISTRY_URL });
    await writeFile(join(dir, '.npmrc'), '');
    const inst = await execa('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...specs], { cwd: dir, env: npmEnv, reject: false, all: true });
    if (inst.exitCode !== 0) return { language: 'ts', ok: false, detail: `npm install failed: ${tail(inst.all)}` };
    for (const p of record.packages) {
      const installed = JSON.parse(await readFile(join(dir, 'node_modules', p.name, 'package.json'), 'utf8')) as { version: string };
      if (installed.version !== p.version) return { language: 'ts', ok: false, detail: `${p.name} installed ${installed.version}, want ${p.version}` };
      const load = await execa(process.execPath, ['-e', `require(${JSON.stringify(p.name)})`], { cwd: dir, env: childEnv(), reject: false, all: true });
      if (load.exitCode !== 0) return { language: 'ts', ok: false, detail: `require("${p.name}") failed: ${tail(load.all)}` };
    }
    return { language: 'ts', ok: true, detail: `npm install ${specs.join(' ')}` };
  });
}

export async function consumePython(record: StateRecord, env: Record<string, string>): Promise<ConsumerResult> {
  if (!(await onPath('pip'))) return { language: 'python', ok: true, skipped: `pip not installed: ${INSTALL_HINTS.pip}`, detail: 'skipped' };
  const { execa } = await import('execa');
  return inTemp('ameide-consumer-pip-', async (dir) => {
    const done: string[] = [];
    for (const p of record.packages) {
      const spec = `${p.name}==${p.version}`;
      const r = await execa('pip', ['download', '--isolated', '--no-deps', '--only-binary', ':all:', '--index-url', env.PIP_INDEX_URL!, '-d', dir, spec], {
        reject: false,
        all: true,
        env: childEnv({ PIP_DISABLE_PIP_VERSION_CHECK: '1' }),
      });
      if (r.exitCode !== 0) return { language: 'python', ok: false, detail: `pip download ${spec} failed: ${tail(r.all)}` };
      done.push(spec);
    }
    const wheels = (await readdir(dir)).filter((f) => f.endsWith('.whl'));
    return { language: 'python', ok: wheels.length >= record.packages.length, detail: `pip download ${done.join(' ')} → ${wheels.join(', ')}` };
  });
}

export async function consumeGo(record: StateRecord, env: Record<string, string>): Promise<ConsumerResult> {
  if (!(await onPath('go'))) return { language: 'go', ok: true, skipped: `go not installed: ${INSTALL_HINTS.go}`, detail: 'skipped' };
  const { execa } = await import('execa');
  return inTemp('ameide-consumer-go-', async (dir) => {
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
    if (r.exitCode !== 0) return { language: 'go', ok: false, detail: `go build failed: ${tail(r.all)}` };
    return { language: 'go', ok: true, detail: `go build with ${record.packages.map((p) => `${p.name}@${p.version}`).join(' ')}` };
  });
}

export const CONSUMERS: Record<LanguageId, (record: StateRecord, env: Record<string, string>) => Promise<ConsumerResult>> = {
  ts: consumeTs,
  python: consumePython,
  go: consumeGo,
};
