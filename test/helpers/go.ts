import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './repo.js';

/** Debian's golang-golang-x-mod-dev tree, used in GOPATH mode. */
export const DEBIAN_GOCODE = '/usr/share/gocode';
/**
 * Build (once per source version, race-free across vitest workers) a helper program under
 * test/helpers/go/<name> in GOPATH mode against Debian's x/mod. The binary's name carries a hash
 * of main.go, so a changed helper is rebuilt rather than a stale binary reused.
 */
export function goHelperBinary(name: string): string {
  const src = join(PROJECT_ROOT, 'test/helpers/go', name);
  const bin = join(PROJECT_ROOT, 'test/helpers/go/bin', `${name}-${createHash('sha256').update(readFileSync(join(src, 'main.go'))).digest('hex').slice(0, 12)}`);
  if (existsSync(bin)) return bin;
  mkdirSync(join(bin, '..'), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `${name}-build-`));
  try {
    const out = join(work, name);
    execFileSync('go', ['build', '-o', out, '.'], {
      cwd: src,
      env: { ...process.env, GO111MODULE: 'off', GOPATH: `${work}/gopath:${DEBIAN_GOCODE}`, GOCACHE: join(work, 'cache'), GOFLAGS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    renameSync(out, bin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}

/** The x/mod reference program (CreateFromDir, HashZip, CheckZip, …). */
export const modzipRefBinary = (): string => goHelperBinary('modzipref');

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

/** Go's verdict on a module zip: x/mod zip.CheckZip, then (if that passed) dirhash.HashZip. */
export interface GoZipVerdict {
  ok: boolean;
  /** Where Go stopped: "check" (CheckZip, including opening the archive), "hash" (HashZip reads and CRC-checks every entry) or "create". */
  stage?: 'check' | 'hash' | 'create';
  h1?: string;
  error?: string;
  valid: string[] | null;
  omitted: { path: string; err: string }[] | null;
  invalid: { path: string; err: string }[] | null;
  sizeError?: string;
}

function runRef(args: string[]): Promise<string> {
  // Async: a registry under test may run in this very process.
  return new Promise((resolve, reject) =>
    execFile(modzipRefBinary(), args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`modzipref ${args[0]}: ${stderr || err.message}`)) : resolve(stdout))),
  );
}

/** `modzipref check`: what Go's x/mod says about this zip for module@version. */
export async function goCheckZip(module: string, version: string, zip: string): Promise<GoZipVerdict> {
  return JSON.parse(await runRef(['check', module, version, zip])) as GoZipVerdict;
}

/** As goCheckZip, with module path and version read (as raw bytes) from an x/mod test archive's comment. */
export async function goCheckTxtarZip(txtar: string, zip: string): Promise<GoZipVerdict> {
  return JSON.parse(await runRef(['checktxtar', txtar, zip])) as GoZipVerdict;
}

/** x/mod CheckFiles over the files of a txtar archive (all regular files). */
export async function goCheckFiles(txtar: string): Promise<GoZipVerdict> {
  return JSON.parse(await runRef(['checkfiles', txtar])) as GoZipVerdict;
}

/** x/mod CheckDir; paths relative to dir. */
export async function goCheckDir(dir: string): Promise<GoZipVerdict> {
  return JSON.parse(await runRef(['checkdir', dir])) as GoZipVerdict;
}

/** x/mod Create over the files of a txtar archive, then HashZip of the result. */
export async function goCreateFiles(module: string, version: string, txtar: string, out: string): Promise<GoZipVerdict> {
  return JSON.parse(await runRef(['createfiles', module, version, txtar, out])) as GoZipVerdict;
}

/** The files of a txtar archive written as a zip by Go's archive/zip (as x/mod's own tests do). */
export async function goTxtarZip(txtar: string, out: string): Promise<void> {
  await runRef(['txtarzip', txtar, out]);
}

/** Every rune whose x/mod strToFold key is not itself, as [rune, key] pairs (Go's unicode tables). */
export async function goFoldOrbits(): Promise<[number, number][]> {
  return JSON.parse(await runRef(['foldorbits'])) as [number, number][];
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
