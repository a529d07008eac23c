import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LogEvent } from '../registry/log.js';
import { usageError } from '../util/errors.js';
import { action, commandContext } from './context.js';
import { addS3Options, openStore, type StorageFlags } from './storage-options.js';

interface ServeFlags extends StorageFlags {
  storage: string;
  externalStorageSecretFile?: string;
  host: string;
  port: string;
  readApi?: boolean;
  tokenFile?: string;
  maxZipBytes?: string;
  python?: boolean;
  pythonStorage?: string;
  pythonAuthFile?: string;
  pythonAllowAnonymous?: boolean;
  quiet?: boolean;
  logFormat: string;
  requestTimeout: string;
  headersTimeout: string;
  idleTimeout: string;
  shutdownTimeout: string;
}

/** "30s", "15m", "500ms", "1h"; a bare number is seconds. */
export function parseDuration(flag: string, text: string, allowZero = false): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms']) : NaN;
  if (!Number.isSafeInteger(ms) || ms > 2 ** 31 - 1 || (ms === 0 && !allowZero)) {
    throw usageError(`${flag} must be a duration like 30s, 15m or 500ms${allowZero ? ' (0: no limit)' : ''} (got ${JSON.stringify(text)})`);
  }
  return ms;
}

/** Reads a secret file; warns (one line) when its mode lets group or others read it. */
async function readSecretFile(path: string, what: string, warn: (line: string) => void): Promise<string> {
  try {
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) warn(`${what} ${path} is readable by group or others (mode 0${mode.toString(8)}): chmod 600 ${path}`);
    const v = (await readFile(path, 'utf8')).trim();
    if (!v) throw usageError(`${what} ${path} is empty`);
    return v;
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode) throw err;
    throw usageError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

export function registerRegistry(program: Command): void {
  const registry = program.command('registry').description('the Go module uploader (+ GOPROXY read API) and Python index');
  const serve = registry
    .command('serve')
    .description('serve POST /upload into Athens storage (a shared directory, or an S3 bucket Athens reads); --read-api adds the GOPROXY protocol')
    .requiredOption('--storage <dir|s3://bucket[/prefix]>', "storage shared with Athens: a directory (created if missing) or an S3 bucket in Athens' S3 layout")
    .option('--goproxy-root <dir>', "directory: keep the GOPROXY @v tree here instead of inside the storage root (keeps Athens' /catalog clean)")
    .option('--external-storage-secret-file <file>', "serve Athens' external storage API (StorageType = \"external\") under /athens/<secret>, secret read from this file")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '0')
    .option('--read-api', 'also serve the GOPROXY protocol from the same storage')
    .option('--token-file <file>', 'require "Authorization: Bearer <token>" on /upload (token read from this file)')
    .option('--max-zip-bytes <n>', 'limit for module zips and their uncompressed size (default 500 MiB)')
    .option('--python', 'also serve a Python package index under /pypi (upload: POST /pypi/, simple: /pypi/simple/)')
    .option('--python-storage <dir>', 'storage for the Python index (default <storage>/.pypi)')
    .option('--python-auth-file <file>', 'require HTTP Basic auth for Python uploads ("user:password" in this file); needed with --python')
    .option('--python-allow-anonymous', 'serve the Python index without --python-auth-file: anyone who can connect may upload')
    .option('--quiet', 'do not log requests')
    .option('--log-format <format>', 'request log on stderr: text (for people) or json (one JSON object a line)', 'text')
    .option('--request-timeout <duration>', 'a whole request (headers + body) must arrive within this; 0: no limit', '15m')
    .option('--headers-timeout <duration>', 'request line and headers must arrive within this', '30s')
    .option('--idle-timeout <duration>', 'cut off a client that neither sends nor reads for this long (a stalled upload)', '60s')
    .option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, wait this long for in-flight requests, then close them', '30s');
  addS3Options(serve)
    .addHelpText('after', '\nThe first line on stdout is "listening on http://HOST:PORT". SIGTERM/SIGINT stop accepting, finish in-flight requests for up to --shutdown-timeout, close the rest, exit 0 (a second signal closes at once).')
    .action(
      action(async (opts: ServeFlags, cmd: Command) => {
        const ctx = commandContext(cmd);
        if (opts.logFormat !== 'text' && opts.logFormat !== 'json') throw usageError(`--log-format must be text or json (got ${JSON.stringify(opts.logFormat)})`);
        const port = Number(opts.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port must be 0-65535 (got ${opts.port})`);
        let maxZipBytes: number | undefined;
        if (opts.maxZipBytes !== undefined) {
          maxZipBytes = Number(opts.maxZipBytes);
          if (!Number.isSafeInteger(maxZipBytes) || maxZipBytes <= 0) throw usageError('--max-zip-bytes must be a positive integer');
        }
        const timeouts = {
          requestMs: parseDuration('--request-timeout', opts.requestTimeout, true),
          headersMs: parseDuration('--headers-timeout', opts.headersTimeout),
          idleMs: parseDuration('--idle-timeout', opts.idleTimeout),
        };
        const shutdownMs = parseDuration('--shutdown-timeout', opts.shutdownTimeout, true);
        // In json format every line on stderr is a JSON object, the command's own lines included.
        const { renderLog } = await import('../registry/log.js');
        const render = renderLog(opts.logFormat);
        const emit = (e: LogEvent) => void process.stderr.write(render(e) + '\n');
        const say = (level: 'info' | 'warn', message: string) =>
          opts.logFormat === 'json' ? emit({ kind: 'message', time: new Date().toISOString(), level, message }) : level === 'warn' ? ctx.out.warn(message) : ctx.out.info(message);
        const warn = (line: string) => say('warn', line);
        const token = opts.tokenFile ? await readSecretFile(opts.tokenFile, '--token-file', warn) : undefined;
        if (!token && !isLoopback(opts.host)) warn(`UNAUTHENTICATED: listening on ${opts.host} without --token-file — anyone who can reach this port can upload; pass --token-file <file> or --host 127.0.0.1`);
        let python;
        if (opts.python || opts.pythonStorage) {
          // Anonymous uploads only when asked for: an index reachable by others would take anything.
          if (!opts.pythonAuthFile && !opts.pythonAllowAnonymous) {
            throw usageError('--python needs --python-auth-file FILE ("user:password") for uploads; add --python-allow-anonymous to accept uploads without credentials');
          }
          if (opts.pythonAuthFile && opts.pythonAllowAnonymous) throw usageError('use either --python-auth-file or --python-allow-anonymous, not both');
          if (opts.pythonAllowAnonymous && !isLoopback(opts.host)) warn(`UNAUTHENTICATED: Python uploads are anonymous on ${opts.host} — anyone who can reach this port can upload to /pypi/; pass --python-auth-file <file> or --host 127.0.0.1`);
          let username: string | undefined;
          let password: string | undefined;
          if (opts.pythonAuthFile) {
            const pair = await readSecretFile(opts.pythonAuthFile, '--python-auth-file', warn);
            const i = pair.indexOf(':');
            if (i <= 0) throw usageError('--python-auth-file must contain "user:password"');
            username = pair.slice(0, i);
            password = pair.slice(i + 1);
          }
          if (!opts.pythonStorage && /^s3:\/\//i.test(opts.storage)) throw usageError('--python with s3:// storage needs --python-storage <dir>');
          python = { prefix: '/pypi', storage: resolve(opts.pythonStorage ?? resolve(opts.storage, '.pypi')), username, password };
        } else if (opts.pythonAuthFile || opts.pythonAllowAnonymous) {
          throw usageError('--python-auth-file and --python-allow-anonymous only apply with --python');
        }
        const externalSecret = opts.externalStorageSecretFile ? await readSecretFile(opts.externalStorageSecretFile, '--external-storage-secret-file', warn) : undefined;
        if (externalSecret !== undefined && !/^[A-Za-z0-9._~-]{16,}$/.test(externalSecret)) {
          throw usageError('the external storage secret must be at least 16 URL-safe characters (A-Z a-z 0-9 . _ ~ -), e.g. openssl rand -hex 24');
        }
        const { startRegistry } = await import('../registry/server.js');
        const log = opts.quiet ? undefined : emit;
        const storage = await openStore(opts.storage, opts, (p) => resolve(p), (line) => say('info', line));
        const running = await startRegistry({ storage, host: opts.host, port, readApi: opts.readApi, token, maxZipBytes, python, log, timeouts, externalSecret });
        process.stdout.write(`listening on ${running.url}\n`);
        await new Promise<void>((done) => {
          let signals = 0;
          const stop = (sig: string) => {
            if (signals++ === 0) say('info', `${sig}: finishing in-flight requests (up to ${opts.shutdownTimeout})`);
            else say('info', `${sig}: closing remaining connections now`);
            running.close(signals === 1 ? shutdownMs : 0).then(done);
          };
          process.on('SIGTERM', () => stop('SIGTERM'));
          process.on('SIGINT', () => stop('SIGINT'));
        });
        // Whatever a cut-off handler may still hold must not keep the process from exiting.
        setTimeout(() => process.exit(0), 1_000).unref();
        return 0;
      }),
    );
}
