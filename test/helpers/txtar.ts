import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A txtar archive (golang.org/x/tools/txtar): a comment, then files, each introduced by a
 * "-- name --" line. x/mod's zip tests keep their cases in this format and put parameters
 * ("path=…", "version=…", "# comments") in the comment. Bytes are kept raw (latin1 strings
 * for the comment) so a parameter like path=\xff survives.
 */
export interface Txtar {
  comment: string;
  files: { name: string; data: Buffer }[];
  params: Record<string, string>;
}

export function parseTxtar(path: string): Txtar {
  const raw = readFileSync(path);
  const files: { name: string; data: Buffer }[] = [];
  const comment: Buffer[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const nl = raw.indexOf(0x0a, pos);
    const end = nl < 0 ? raw.length : nl + 1;
    const line = raw.subarray(pos, end);
    pos = end;
    const text = line.toString('utf8').replace(/\n$/, '');
    const m = /^-- (.*) --$/.exec(text);
    if (m && text.length >= 6) files.push({ name: m[1]!.trim(), data: Buffer.alloc(0) });
    else if (files.length === 0) comment.push(line);
    else files[files.length - 1]!.data = Buffer.concat([files[files.length - 1]!.data, line]);
  }
  const commentText = Buffer.concat(comment).toString('latin1');
  const params: Record<string, string> = {};
  for (let line of commentText.split('\n')) {
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const eq = line.indexOf('=');
    if (eq >= 0) params[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { comment: commentText, files, params };
}

/** Write the archive's files (except `skip`) under dir, as x/mod's extractTxtarToTempDir does. */
export function materializeTxtar(t: Txtar, dir: string, skip = ['want']): void {
  mkdirSync(dir, { recursive: true });
  for (const f of t.files) {
    if (skip.includes(f.name)) continue;
    const p = join(dir, f.name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data);
  }
}
