import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './repo.js';

/** Debian's golang-golang-x-mod-dev tree, used in GOPATH mode. */
export const DEBIAN_GOCODE = '/usr/share/gocode';
const SRC = join(PROJECT_ROOT, 'test/helpers/go/modzipref');
const BIN = join(PROJECT_ROOT, 'test/helpers/go/bin/modzipref');

/** Build (once, race-free across vitest workers) the x/mod reference program. */
export function modzipRefBinary(): string {
  if (existsSync(BIN)) return BIN;
  mkdirSync(join(BIN, '..'), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'modzipref-build-'));
  try {
    const out = join(work, 'modzipref');
    execFileSync('go', ['build', '-o', out, '.'], {
      cwd: SRC,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: `${work}/gopath:${DEBIAN_GOCODE}`, GOCACHE: join(work, 'cache'), GOFLAGS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    renameSync(out, BIN);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return BIN;
}

export interface RefZip {
  ok: boolean;
  h1?: string;
  error?: string;
}

/** CreateFromDir + HashZip through the real x/mod. */
export function refCreateZip(module: string, version: string, dir: string, out: string): RefZip {
  try {
    const h1 = execFileSync(modzipRefBinary(), ['create', module, version, dir, out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { ok: true, h1 };
  } catch (err) {
    return { ok: false, error: String((err as { stderr?: string }).stderr ?? err).trim() };
  }
}

export function refHashZip(zip: string): string {
  return execFileSync(modzipRefBinary(), ['hash', zip], { encoding: 'utf8' }).trim();
}

/** Environment for running the real `go` hermetically against a given GOPROXY. */
export function goEnv(home: string, goproxy: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    GOPATH: join(home, 'gopath'),
    GOMODCACHE: join(home, 'gopath/pkg/mod'),
    GOCACHE: join(home, 'gocache'),
    GOPROXY: goproxy,
    GOSUMDB: 'off',
    GOFLAGS: '-mod=mod',
    GOWORK: 'off',
    GOTOOLCHAIN: 'local',
    GO111MODULE: 'on',
    ...extra,
  };
}
