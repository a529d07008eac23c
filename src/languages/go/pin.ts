import { CliError, EXIT } from '../../util/errors.js';
import { childEnv } from '../../util/child-env.js';
import type { StateRecord } from '../../model/record.js';
import type { PinEdit, PinPlan } from '../types.js';

/**
 * `pin --lang go` with the real `go mod edit`: require each recorded module at its version and
 * drop replace directives that point it at a local path. Planned from `go mod edit -json`, so
 * `--dry-run` shows the very edits that would be made.
 */
interface GoModJson {
  Require?: { Path: string; Version: string }[] | null;
  Replace?: { Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }[] | null;
}

const isLocalPath = (p: string) => p.startsWith('./') || p.startsWith('../') || p.startsWith('/') || p === '.' || p === '..';

async function goModEdit(dir: string, args: string[]) {
  const { execa } = await import('execa');
  try {
    return await execa('go', ['mod', 'edit', ...args], { cwd: dir, env: childEnv({ GOWORK: 'off', GOFLAGS: '' }) });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; shortMessage?: string };
    if (e.code === 'ENOENT') throw new CliError('pin --lang go needs the go command: sudo apt-get install golang-go', EXIT.usage);
    throw new CliError(`go mod edit in ${dir} failed: ${(e.stderr || e.shortMessage || '').trim()}`, EXIT.failure);
  }
}

export async function planGoPin(record: StateRecord, dir: string): Promise<PinPlan> {
  const current = JSON.parse((await goModEdit(dir, ['-json'])).stdout) as GoModJson;
  const edits: PinEdit[] = [];
  const args: string[] = [];
  for (const p of record.packages) {
    for (const r of current.Replace ?? []) {
      if (r.Old.Path === p.name && isLocalPath(r.New.Path)) {
        const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
        args.push(`-dropreplace=${old}`);
        edits.push({ file: 'go.mod', change: `drop replace ${old} => ${r.New.Path}` });
      }
    }
    const have = current.Require?.find((r) => r.Path === p.name)?.Version;
    if (have !== p.version) {
      args.push(`-require=${p.name}@${p.version}`);
      edits.push({ file: 'go.mod', change: `require ${p.name} ${have ?? '(none)'} → ${p.version}` });
    }
  }
  return { edits, apply: async () => void (args.length && (await goModEdit(dir, args))) };
}
