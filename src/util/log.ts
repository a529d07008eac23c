/**
 * Human output goes to stderr so that `--json` stdout stays one parseable document.
 * Progress is only drawn on an interactive terminal, never under CI or --json.
 */
export interface OutputOptions {
  json: boolean;
  color: boolean;
  quiet?: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Style = keyof typeof codes;

export class Output {
  constructor(readonly opts: OutputOptions) {}

  style(s: Style, text: string): string {
    return this.opts.color ? `\u001b[${codes[s]}m${text}\u001b[0m` : text;
  }

  /** A line for people; in --json mode it still goes to stderr, never stdout. */
  info(line: string): void {
    if (this.opts.quiet) return;
    process.stderr.write(line + '\n');
  }

  warn(line: string): void {
    process.stderr.write(this.style('yellow', 'warning: ') + line + '\n');
  }

  error(line: string): void {
    process.stderr.write(this.style('red', 'error: ') + line + '\n');
  }

  /** The one machine-readable document of a --json run. */
  json(doc: unknown): void {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  }

  /** Human result output (tables) goes to stdout when not in --json mode. */
  print(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  get interactive(): boolean {
    return !this.opts.json && !process.env.CI && Boolean(process.stderr.isTTY);
  }

  /** A throttled progress line on a TTY; a no-op elsewhere. */
  progress(label: string): (done: number, total?: number) => void {
    if (!this.interactive) return () => {};
    let last = 0;
    return (done, total) => {
      const now = Date.now();
      if (now - last < 100 && (total === undefined || done < total)) return;
      last = now;
      const pct = total ? ` ${Math.floor((done / total) * 100)}%` : '';
      process.stderr.write(`\r${label}${pct} ${formatBytes(done)}${total ? ' / ' + formatBytes(total) : ''}\u001b[K`);
      if (total !== undefined && done >= total) process.stderr.write('\n');
    };
  }
}

export function colorEnabled(flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return Boolean(process.stderr.isTTY);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A plain aligned table; no box drawing so it pastes into logs and issues cleanly. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function markdownTable(headers: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}
