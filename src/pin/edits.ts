import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateRecord } from '../state/schema.js';
import { CliError, EXIT } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { childEnv } from '../util/child-env.js';

/**
 * `pin`: point a consumer at exactly what a state record says was published. Each language
 * has a pure planner (edits from the record + the consumer's current manifest) and an apply
 * step, so `--dry-run` shows the very edits that would be made.
 */
export interface PinEdit {
  file: string;
  /** Human description, e.g. `require M v1 → v2`. */
  change: string;
}

export interface PinPlan {
  edits: PinEdit[];
  apply(): Promise<void>;
}

// ---- Go: the real `go mod edit` ----

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

// ---- ts: exact versions in package.json ----

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

export async function planTsPin(record: StateRecord, dir: string): Promise<PinPlan> {
  const path = join(dir, 'package.json');
  const text = await readFile(path, 'utf8').catch(() => {
    throw new CliError(`pin --lang ts: no package.json in ${dir} — pass --dir <consumer>`, EXIT.usage);
  });
  const pkg = JSON.parse(text) as Record<string, Record<string, string> | unknown>;
  const indent = /^(\s+)"/m.exec(text)?.[1] ?? '  ';
  const edits: PinEdit[] = [];
  for (const p of record.packages) {
    const fields = DEP_FIELDS.filter((f) => (pkg[f] as Record<string, string> | undefined)?.[p.name] !== undefined);
    if (!fields.length) {
      pkg.dependencies = { ...((pkg.dependencies as Record<string, string>) ?? {}), [p.name]: p.version };
      edits.push({ file: 'package.json', change: `dependencies.${p.name} (none) → ${p.version}` });
    }
    for (const f of fields) {
      const deps = pkg[f] as Record<string, string>;
      if (deps[p.name] === p.version) continue;
      edits.push({ file: 'package.json', change: `${f}.${p.name} ${deps[p.name]} → ${p.version}` });
      deps[p.name] = p.version;
    }
  }
  return { edits, apply: async () => void (edits.length && (await writeFileAtomic(path, JSON.stringify(pkg, null, indent) + '\n'))) };
}

// ---- python: a constraints file ----

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

export async function planPythonPin(record: StateRecord, dir: string, file = 'constraints.txt'): Promise<PinPlan> {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8').catch(() => '');
  const lines = text ? text.replace(/\n$/, '').split('\n') : [];
  const edits: PinEdit[] = [];
  for (const p of record.packages) {
    const want = `${p.name}==${p.version}`;
    const i = lines.findIndex((l) => {
      const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(l)?.[1];
      return name !== undefined && normalize(name) === normalize(p.name);
    });
    if (i === -1) {
      lines.push(want);
      edits.push({ file, change: `add ${want}` });
    } else if (lines[i]!.trim() !== want) {
      edits.push({ file, change: `${lines[i]!.trim()} → ${want}` });
      lines[i] = want;
    }
  }
  return { edits, apply: async () => void (edits.length && (await writeFileAtomic(path, lines.join('\n') + '\n'))) };
}
