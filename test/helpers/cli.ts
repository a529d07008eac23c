import { execa, type Options } from 'execa';
import { CLI } from './repo.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Run the BUILT binary, as users and Tilt do. */
export async function runCli(args: string[], opts: Options & { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const { env, ...rest } = opts;
  const r = await execa(process.execPath, [CLI, ...args], {
    reject: false,
    extendEnv: false,
    ...rest,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', NO_COLOR: '1', ...env },
  });
  let json: any;
  try {
    json = JSON.parse(String(r.stdout));
  } catch {
    json = undefined;
  }
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), json };
}
