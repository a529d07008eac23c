/**
 * A live block on an interactive terminal: one line per task (here: per language), redrawn
 * in place while the tasks run, left on screen when they are done.
 *
 * Invariants:
 * 1. The block never decides whether it may draw: its owner (Output.live) creates it only on an
 *    interactive terminal. Everything else keeps plain lines.
 * 2. Each frame rewrites exactly the lines the previous frame drew (cursor up N, clear, write).
 *    That only holds if no line wraps, so every line is cut to the terminal width minus one
 *    column — measured on the text, before colour codes are added.
 * 3. Frames are throttled: state changes only mark the block; a timer draws at most one frame
 *    per tick, and only if the text changed. The final frame is drawn at once and stays.
 * 4. Other output (info lines, warnings) goes ABOVE the block: erase the block, write the text,
 *    redraw — as one write, so nothing can land in between.
 * Rendering a row and building a frame are pure functions; the class holds the timer and stream.
 */

export type Paint = (style: 'dim' | 'bold' | 'green' | 'red' | 'yellow', text: string) => string;

export interface LiveRow<S extends string> {
  label: string;
  /** Stages entered so far, first-entered order, without repeats; the last one is current. */
  stages: S[];
  detail: string;
  startedAt: number;
  /** Set when the task ended; a later `stage` call reopens the row (e.g. a push after state). */
  result?: { ok: boolean; at: number };
}

const ESC = '\u001b[';
/** Cursor up n lines; n = 0 must emit nothing (ESC[0A moves one line on most terminals). */
const up = (n: number) => (n > 0 ? `${ESC}${n}A` : '');
const CLEAR_LINE = `\r${ESC}2K`;
const CLEAR_DOWN = `${ESC}J`;

type Segment = [text: string, style?: Parameters<Paint>[0]];

/** One row as coloured text no wider than `width` columns (counted on the uncoloured text). */
export function renderRow<S extends string>(row: LiveRow<S>, o: { labelWidth: number; width: number; now: number; paint?: Paint }): string {
  const segs: Segment[] = [[row.label.padEnd(o.labelWidth) + '  ', 'bold']];
  row.stages.forEach((s, i) => {
    const current = i === row.stages.length - 1;
    if (i > 0) segs.push([' › ', 'dim']);
    if (!current) segs.push([s, 'dim']);
    else if (!row.result) segs.push([s + '…', 'yellow']);
    else segs.push([s]);
  });
  if (row.result) segs.push(row.result.ok ? [' ✓', 'green'] : [' ✗', 'red']);
  const seconds = Math.max(0, Math.floor(((row.result?.at ?? o.now) - row.startedAt) / 1000));
  segs.push([`  ${seconds}s`, 'dim']);
  // Multi-line details (a build's output tail) would break invariant 2: keep the first line.
  const detail = row.detail.split('\n')[0]!.trim();
  if (detail) segs.push(['  ' + detail, row.result && !row.result.ok ? 'red' : 'dim']);
  return paintSegments(truncate(segs, o.width), o.paint);
}

/** Cut segments to `width` characters, marking a cut with "…". */
function truncate(segs: Segment[], width: number): Segment[] {
  const total = segs.reduce((n, [t]) => n + [...t].length, 0);
  if (total <= width) return segs;
  const out: Segment[] = [];
  let room = Math.max(0, width - 1);
  for (const [t, s] of segs) {
    const chars = [...t];
    if (chars.length <= room) {
      out.push([t, s]);
      room -= chars.length;
      continue;
    }
    if (room > 0) out.push([chars.slice(0, room).join(''), s]);
    break;
  }
  if (width > 0) out.push(['…']);
  return out;
}

function paintSegments(segs: Segment[], paint?: Paint): string {
  return segs.map(([t, s]) => (s && paint ? paint(s, t) : t)).join('');
}

/** The bytes that replace a block of `previous` lines (cursor at the line below it) by `lines`. */
export function frame(previous: number, lines: string[]): string {
  return up(previous) + lines.map((l) => CLEAR_LINE + l + '\n').join('') + (lines.length < previous ? CLEAR_DOWN : '');
}

/** The bytes that remove a block of `previous` lines, leaving the cursor where it started. */
export function erase(previous: number): string {
  return previous > 0 ? up(previous) + '\r' + CLEAR_DOWN : '';
}

export interface LiveStream {
  write(text: string): unknown;
  columns?: number;
}

export interface LiveBlockOptions {
  paint?: Paint;
  now?: () => number;
  /** Minimum time between two frames. */
  intervalMs?: number;
  /** Called once by finish(), e.g. to detach the block from Output. */
  onFinish?: () => void;
}

export class LiveBlock<S extends string> {
  private readonly rows = new Map<string, LiveRow<S>>();
  private readonly labelWidth: number;
  private readonly now: () => number;
  /** Lines of the block currently on screen. */
  private drawn = 0;
  private lastFrame = '';
  private timer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly stream: LiveStream,
    labels: string[],
    private readonly opts: LiveBlockOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    const t = this.now();
    for (const label of labels) this.rows.set(label, { label, stages: [], detail: '', startedAt: t });
    this.labelWidth = Math.max(0, ...labels.map((l) => l.length));
    this.draw();
    this.timer = setInterval(() => this.draw(), opts.intervalMs ?? 100);
    // A forgotten finish() must not keep the process alive.
    this.timer.unref();
  }

  /** Enter `stage` (or re-enter a finished row); `detail` replaces the row's detail. */
  stage(label: string, stage: S, detail = ''): void {
    const row = this.rows.get(label);
    if (!row || this.finished) return;
    row.result = undefined;
    const i = row.stages.indexOf(stage);
    // Re-entering an earlier stage (ts builds and uploads package after package) moves it last.
    if (i >= 0) row.stages.splice(i, 1);
    row.stages.push(stage);
    row.detail = detail;
  }

  detail(label: string, detail: string): void {
    const row = this.rows.get(label);
    if (row && !this.finished) row.detail = detail;
  }

  end(label: string, ok: boolean, detail?: string): void {
    const row = this.rows.get(label);
    if (!row || this.finished) return;
    row.result = { ok, at: this.now() };
    if (detail !== undefined) row.detail = detail;
  }

  /** Write `text` (whole lines) above the block. */
  above(text: string): void {
    if (this.finished) {
      this.stream.write(text);
      return;
    }
    const lines = this.lines();
    this.stream.write(erase(this.drawn) + text + frame(0, lines));
    this.drawn = lines.length;
    this.lastFrame = lines.join('\n');
  }

  /** Draw the final frame and stop; the block stays on screen. Idempotent. */
  finish(): void {
    if (this.finished) return;
    clearInterval(this.timer);
    this.draw(true);
    this.finished = true;
    this.opts.onFinish?.();
  }

  private lines(): string[] {
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const now = this.now();
    return [...this.rows.values()].map((row) => renderRow(row, { labelWidth: this.labelWidth, width, now, paint: this.opts.paint }));
  }

  private draw(force = false): void {
    if (this.finished) return;
    const lines = this.lines();
    const text = lines.join('\n');
    if (!force && text === this.lastFrame) return;
    this.stream.write(frame(this.drawn, lines));
    this.drawn = lines.length;
    this.lastFrame = text;
  }
}
