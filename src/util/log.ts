import { LiveBlock } from './live.js';

/**
 * Human output goes to stderr so that `--json` stdout stays one parseable document.
 * Progress is only drawn on an interactive terminal, never under CI or --json.
 * While a live block is on screen, every stderr line goes above it (see ./live.ts).
 */
export interface OutputOptions {
  json: boolean;
  color: boolean;
  quiet?: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
type Style = keyof typeof codes;

export class Output {
  private block: LiveBlock<string> | undefined;

  constructor(readonly opts: OutputOptions) {}

  style(s: Style, text: string): string {
    return this.opts.color ? `\u001b[${codes[s]}m${text}\u001b[0m` : text;
  }

  /** A line for people; in --json mode it still goes to stderr, never stdout. */
  info(line: string): void {
    if (this.opts.quiet) return;
    this.stderr(line + '\n');
  }

  warn(line: string): void {
    this.stderr(this.style('yellow', 'warning: ') + line + '\n');
  }

  error(line: string): void {
    this.stderr(this.style('red', 'error: ') + line + '\n');
  }

  private stderr(text: string): void {
    if (this.block) this.block.above(text);
    else process.stderr.write(text);
  }

  /** The one machine-readable document of a --json run. */
  json(doc: unknown): void {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  }

  /** Human result output (tables) goes to stdout when not in --json mode. */
  print(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /**
   * May we redraw? A TTY on stderr, not CI (any value but "", "0", "false"), not --json, and a
   * terminal that understands cursor movement. NO_COLOR only turns colours off, not redraws.
   */
  get interactive(): boolean {
    const ci = process.env.CI;
    const isCi = ci !== undefined && !['', '0', 'false'].includes(ci.toLowerCase());
    return !this.opts.json && !isCi && process.env.TERM !== 'dumb' && Boolean(process.stderr.isTTY);
  }

  /**
   * A live block with one line per label, redrawn in place until `finish()`; undefined when
   * not interactive (the caller then prints plain lines as usual). Lines written through this
   * Output meanwhile appear above the block.
   */
  live<S extends string>(labels: string[]): LiveBlock<S> | undefined {
    if (!this.interactive || this.block) return undefined;
    const block = new LiveBlock<S>(process.stderr, labels, {
      paint: (s, text) => this.style(s, text),
      onFinish: () => {
        if (this.block === block) this.block = undefined;
      },
    });
    this.block = block;
    return block;
  }

  /** A throttled progress line on a TTY; a no-op elsewhere, and while a live block is drawn. */
  progress(label: string): (done: number, total?: number) => void {
    if (!this.interactive || this.block) return () => {};
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
