import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE } from '../config/schema.js';
import { EXIT, usageError } from '../util/errors.js';
import { table } from '../util/log.js';
import { action, commandContext } from './context.js';
import { addS3Options, openStore, type StorageFlags } from './storage-options.js';

interface DevFlags extends StorageFlags {
  example?: boolean;
  once?: boolean;
  storage?: string;
  host: string;
}

/** What the repo's languages add to the stack's environment for their consumers (GONOSUMDB…). */
async function consumerEnv(root: string): Promise<Record<string, string>> {
  if (!existsSync(join(root, CONFIG_FILE))) return {};
  const { loadConfig } = await import('../config/load.js');
  const { configSchema, configuredLanguages } = await import('../languages/index.js');
  const { config } = await loadConfig(root, configSchema());
  const env: Record<string, string> = {};
  for (const l of configuredLanguages(config)) Object.assign(env, await l.devEnv(root, config[l.id]));
  return env;
}

export function registerDev(program: Command): void {
  const dev = program
    .command('dev')
    .description('run the whole registry side on this machine: Verdaccio (npm), the Go uploader + GOPROXY, a Python index')
    .option('--example', 'publish the bundled example monorepo to it, smoke it and install it with the real clients')
    .option('--once', 'stop after start-up (and --example) and exit with its status')
    .option('--storage <dir|s3://bucket[/prefix]>', 'keep registry contents here across runs (default: a temp dir removed on exit); s3:// holds the Go modules, npm and Python stay in a temp dir')
    .option('--host <host>', 'address to listen on', '127.0.0.1');
  addS3Options(dev)
    .addHelpText(
      'after',
      `
Prints the environment a shell needs (eval or copy it):
  export NPM_REGISTRY_URL=… GO_REGISTRY_URL=… GOPROXY=… GONOSUMDB=… TWINE_REPOSITORY_URL=… PIP_INDEX_URL=…
Credentials (NPM_TOKEN, TWINE_USERNAME, TWINE_PASSWORD) are written to a 0600 file that the
printed lines source; they are never printed. Stays up until Ctrl-C unless --once.
Needs the optional peer dependency Verdaccio (npm install --save-dev verdaccio@6); a
checkout of this repository has it.
\`npm run demo\` is \`ameide-pkg dev --example --once\`.`,
    )
    .action(
      action(async (opts: DevFlags, command: Command) => {
        const ctx = commandContext(command);
        const { startDevStack, shellExports } = await import('../dev/stack.js');
        const { packageRoot } = await import('../dev/example.js');
        let exampleRoot: string | undefined;
        if (opts.example) {
          try {
            exampleRoot = join(packageRoot(), 'fixtures', 'example');
          } catch {
            // The npm package ships dist/ only; the example monorepo lives in the repository.
            throw usageError('dev --example needs a checkout of the ameide-pkg repository (fixtures/example is not in the npm package) — run it from a clone, or run `ameide-pkg dev` without --example');
          }
        }
        const extraEnv = await consumerEnv(exampleRoot ?? ctx.root);
        const s3 = opts.storage !== undefined && /^s3:\/\//i.test(opts.storage);
        const goStore = s3 ? await openStore(opts.storage!, opts, (p) => resolve(p), (line) => ctx.out.info(line)) : undefined;
        const storage = s3 ? undefined : opts.storage && resolve(opts.storage);
        const stack = await startDevStack({ storage, host: opts.host, consumerEnv: extraEnv, goStore });
        let code: number = EXIT.ok;
        let closed = false;
        const shutdown = async () => {
          if (closed) return;
          closed = true;
          await stack.close();
        };
        try {
          ctx.out.info(`ameide-pkg dev: npm ${stack.urls.npm} · go ${stack.urls.go} · python ${stack.urls.pypi}/simple/ · storage ${stack.storage}`);
          if (!ctx.json) ctx.out.print(shellExports(stack));
          let example: Awaited<ReturnType<typeof import('../dev/example.js').runExample>> | undefined;
          if (opts.example) {
            const { runExample } = await import('../dev/example.js');
            example = await runExample(stack, ctx.out);
            code = example.ok ? EXIT.ok : EXIT.failure;
            if (!ctx.json) printExample(ctx.out, example);
          }
          if (ctx.json) {
            ctx.out.json({
              ok: code === EXIT.ok,
              urls: stack.urls,
              env: stack.env,
              secretsFile: stack.secretsFile,
              storage: stack.storage,
              example: example && {
                ok: example.ok,
                snapshot: example.snapshot,
                skipped: example.skipped,
                languages: Object.fromEntries(example.runs.map((r) => [r.language, { ok: r.ok, stage: r.stage, error: r.error, packages: r.outcome?.packages ?? [], smoke: r.smoke }])),
                consumers: example.consumers,
                state: Object.fromEntries(Object.entries(example.stateFiles).map(([k, v]) => [k, JSON.parse(v)])),
              },
            });
          }
          if (opts.once) return code;
          ctx.out.info('ready — Ctrl-C to stop');
          await new Promise<void>((done) => {
            process.once('SIGINT', () => done());
            process.once('SIGTERM', () => done());
          });
          return EXIT.ok;
        } finally {
          await shutdown();
          // Verdaccio keeps timers alive; the stack is closed, so leave now and leave nothing running.
          setImmediate(() => process.exit(process.exitCode ?? code));
        }
      }),
    );
}

function printExample(out: import('../util/log.js').Output, ex: Awaited<ReturnType<typeof import('../dev/example.js').runExample>>): void {
  const rows: string[][] = [];
  for (const r of ex.runs) {
    const consumer = ex.consumers.find((c) => c.language === r.language);
    const pkgs = r.outcome?.packages ?? r.plan?.packages.map((p) => ({ name: p.name, version: p.version })) ?? [{ name: '-', version: '-' }];
    for (const p of pkgs)
      rows.push([r.language, p.name, p.version, r.smoke ? (r.smoke.ok ? 'ok' : 'FAILED') : r.ok ? '-' : `FAILED (${r.stage})`, consumer ? (consumer.skipped ? 'skipped' : consumer.ok ? 'ok' : 'FAILED') : '-']);
  }
  for (const s of ex.skipped) rows.push([s.language, '-', '-', 'skipped', s.reason]);
  out.print('\n' + table(['LANG', 'PACKAGE', 'VERSION', 'SMOKE', 'CONSUMER'], rows));
  for (const r of ex.runs) if (!r.ok) out.error(`${r.language}: ${r.error}`);
  for (const c of ex.consumers) if (!c.ok) out.error(`${c.language} consumer: ${c.detail}`);
  for (const [lang, text] of Object.entries(ex.stateFiles)) out.print(`\n# tmp/tilt-packages/${lang}.json\n${text.trimEnd()}`);
  out.print(ex.ok ? '\nexample published, smoked and installed from one snapshot' : '\nexample FAILED');
}
