import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Runs a composite action's `run:` steps the way the GitHub runner does, as far as our
 * action.yml uses it: `${{ inputs.* }}`, `${{ steps.<id>.outputs.* }}` and
 * `${{ github.action_path }}` substituted into `run`/`env`; each step in
 * `bash --noprofile --norc -eo pipefail` with its own GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
 * files; a failing step stops the action; the action's outputs evaluated at the end. Any
 * other expression, `if:` or `uses:` is refused, so the emulation cannot silently differ.
 */
export interface ActionRun {
  ok: boolean;
  failedStep?: string;
  outputs: Record<string, string>;
  stepOutputs: Record<string, Record<string, string>>;
  summary: string;
  log: string;
}

export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`GITHUB_OUTPUT: unterminated ${heredoc[1]}<<${heredoc[2]}`);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: invalid line ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

export async function runCompositeAction(
  actionFile: string,
  o: { actionPath: string; workspace: string; inputs: Record<string, string>; env: Record<string, string> },
): Promise<ActionRun> {
  const action = parse(readFileSync(actionFile, 'utf8'));
  if (action.runs?.using !== 'composite') throw new Error('not a composite action');
  const declared = action.inputs ?? {};
  for (const k of Object.keys(o.inputs)) if (!(k in declared)) throw new Error(`unknown input ${k}`);
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries<any>(declared)) inputs[k] = o.inputs[k] ?? String(v.default ?? '');
  const temp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
  const stepOutputs: Record<string, Record<string, string>> = {};
  const expr = (text: string): string =>
    text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, e: string) => {
      let m: RegExpExecArray | null;
      if ((m = /^inputs\.([\w-]+)$/.exec(e))) {
        if (!(m[1]! in inputs)) throw new Error(`undeclared input ${m[1]}`);
        return inputs[m[1]!]!;
      }
      if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return stepOutputs[m[1]!]?.[m[2]!] ?? '';
      if (e === 'github.action_path') return o.actionPath;
      throw new Error(`expression not supported by this emulation: ${e}`);
    });
  let summary = '';
  let log = '';
  for (const [i, step] of (action.runs.steps as any[]).entries()) {
    const id = step.id ?? `__${i}`;
    for (const k of Object.keys(step)) if (!['id', 'name', 'shell', 'env', 'run', 'working-directory'].includes(k)) throw new Error(`step ${id}: "${k}" not supported by this emulation`);
    if (step.shell !== 'bash') throw new Error(`step ${id}: shell must be bash`);
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, expr(step.run));
    const outputFile = join(temp, `output-${i}`);
    const summaryFile = join(temp, `summary-${i}`);
    writeFileSync(outputFile, '');
    writeFileSync(summaryFile, '');
    const env: Record<string, string> = {
      ...o.env,
      ...Object.fromEntries(Object.entries<string>(step.env ?? {}).map(([k, v]) => [k, expr(String(v))])),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTION_PATH: o.actionPath,
      GITHUB_WORKSPACE: o.workspace,
      RUNNER_TEMP: temp,
    };
    const r = await execa('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: step['working-directory'] ? join(o.workspace, expr(step['working-directory'])) : o.workspace,
      env,
      extendEnv: false,
      reject: false,
      all: true,
    });
    log += `## ${id} (exit ${r.exitCode})\n${r.all}\n`;
    stepOutputs[id] = parseOutputFile(readFileSync(outputFile, 'utf8'));
    summary += readFileSync(summaryFile, 'utf8');
    if (r.exitCode !== 0) return { ok: false, failedStep: id, outputs: evalOutputs(), stepOutputs, summary, log };
  }
  return { ok: true, outputs: evalOutputs(), stepOutputs, summary, log };

  function evalOutputs(): Record<string, string> {
    return Object.fromEntries(Object.entries<any>(action.outputs ?? {}).map(([k, v]) => [k, expr(String(v.value))]));
  }
}
