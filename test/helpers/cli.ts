import { execa, type Options } from 'execa';
import { CLI } from './repo.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Run the BUILT binary, as users and Tilt do (`cli`: another build of it, e.g. one with an extra table row). */
export async function runCli(args: string[], opts: Options & { env?: NodeJS.ProcessEnv; cli?: string } = {}): Promise<CliResult> {
  const { env, cli = CLI, ...rest } = opts;
  const r = await execa(process.execPath, [cli, ...args], {
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
