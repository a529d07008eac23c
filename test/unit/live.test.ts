import { afterEach, describe, expect, it, vi } from 'vitest';
import { erase, frame, LiveBlock, renderRow, type LiveRow, type Paint } from '../../src/util/live.js';
import { Output } from '../../src/util/log.js';
import { screen, stripSgr } from '../helpers/screen.js';

const paint: Paint = (s, t) => `\u001b[${{ dim: 2, bold: 1, green: 32, red: 31, yellow: 33 }[s]}m${t}\u001b[0m`;

function row(p: Partial<LiveRow<string>>): LiveRow<string> {
  return { label: 'python', stages: [], detail: '', startedAt: 0, ...p };
}

/** A terminal stand-in: collects bytes, has a width; `shown` is what the screen displays. */
function term(columns: number) {
  let bytes = '';
  return {
    stream: { columns, write: (t: string) => (bytes += t) },
    get bytes() {
      return bytes;
    },
    shown: () => screen(bytes, columns),
  };
}

describe('renderRow', () => {
  it('shows the stages entered so far, the current one marked running, then ✓ or ✗', () => {
    const o = { labelWidth: 6, width: 200, now: 4_200 };
    expect(renderRow(row({ stages: ['plan', 'build', 'upload'], detail: 'x.whl' }), o)).toBe('python  plan › build › upload…  4s  x.whl');
    expect(renderRow(row({ label: 'go', stages: ['plan', 'build', 'upload', 'smoke', 'state'], result: { ok: true, at: 3_000 } }), o)).toBe('go      plan › build › upload › smoke › state ✓  3s');
    expect(renderRow(row({ stages: ['plan', 'build'], detail: 'python build failed (exit 1):\nTraceback …', result: { ok: false, at: 1_000 } }), o)).toBe(
      'python  plan › build ✗  1s  python build failed (exit 1):',
    );
  });

  it('never exceeds the width, coloured or not, and colour does not change the text', () => {
    const r = row({ stages: ['plan', 'build', 'upload'], detail: 'go.packages.dev.ameide.io/ameide-sdk-go@v0.0.0-20251106083012-0123456789ab 12.0 MiB / 40.0 MiB' });
    for (let width = 1; width <= 140; width++) {
      const plain = renderRow(r, { labelWidth: 6, width, now: 0 });
      const coloured = renderRow(r, { labelWidth: 6, width, now: 0, paint });
      expect([...plain].length, `width ${width}`).toBeLessThanOrEqual(width);
      expect(stripSgr(coloured)).toBe(plain);
      expect(plain).not.toContain('\u001b');
    }
    expect(renderRow(r, { labelWidth: 6, width: 40, now: 0 })).toBe('python  plan › build › upload…  0s  go.…');
  });
});

describe('frame / erase', () => {
  it('a first frame moves no cursor; later frames go up exactly the lines drawn before', () => {
    expect(frame(0, ['a', 'b'])).toBe('\r\u001b[2Ka\n\r\u001b[2Kb\n');
    expect(frame(3, ['a'])).toBe('\u001b[3A\r\u001b[2Ka\n\u001b[J');
    expect(erase(0)).toBe('');
    expect(screen('x\n' + frame(0, ['1', '2']) + frame(2, ['3', '4']), 80)).toEqual(['x', '3', '4']);
  });
});

describe('LiveBlock', () => {
  afterEach(() => vi.useRealTimers());

  it('redraws in place: after many updates and lines written above, the screen shows each once', () => {
    vi.useFakeTimers();
    let now = 0;
    const t = term(50);
    const block = new LiveBlock(t.stream, ['ts', 'python', 'go'], { now: () => now });
    for (const [i, lang] of ['ts', 'python', 'go'].entries()) {
      block.stage(lang, 'plan');
      now += 700;
      vi.advanceTimersByTime(100);
      block.stage(lang, 'build', `a detail long enough to be cut at fifty columns, package ${i}`);
      vi.advanceTimersByTime(100);
      block.above(`${lang}: built\n`);
      block.stage(lang, 'upload');
      vi.advanceTimersByTime(100);
    }
    block.stage('ts', 'build', 'second package');
    block.end('go', false, 'registry answered 409');
    block.end('python', true, '1 published');
    vi.advanceTimersByTime(100);
    block.end('ts', true, '2 published');
    block.finish();
    block.above('after\n');
    expect(t.shown()).toEqual([
      'ts: built',
      'python: built',
      'go: built',
      // ts re-entered build for its second package: the trail keeps each stage once, in the order last entered.
      'ts      plan › upload › build ✓  2s  2 published',
      'python  plan › build › upload ✓  2s  1 published',
      'go      plan › build › upload ✗  2s  registry an…',
      'after',
    ]);
    // Nothing is drawn after finish: the timer is gone.
    const before = t.bytes;
    vi.advanceTimersByTime(1000);
    expect(t.bytes).toBe(before);
  });

  it('throttles: a burst of updates between two ticks draws at most one frame', () => {
    vi.useFakeTimers();
    const t = term(80);
    const frames = () => t.bytes.split('\u001b[3A').length - 1;
    const block = new LiveBlock(t.stream, ['ts', 'python', 'go'], { now: () => 0 });
    for (let i = 0; i < 500; i++) block.stage('go', 'upload', `${i} KiB`);
    expect(frames()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(frames()).toBe(1);
    // An unchanged block is not redrawn at all.
    vi.advanceTimersByTime(1000);
    expect(frames()).toBe(1);
    block.finish();
    expect(t.shown()[2]).toBe('go      upload…  0s  499 KiB');
  });
});

describe('Output: when to draw live', () => {
  const saved = { tty: process.stderr.isTTY, CI: process.env.CI, TERM: process.env.TERM };
  afterEach(() => {
    process.stderr.isTTY = saved.tty;
    for (const k of ['CI', 'TERM'] as const) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    vi.restoreAllMocks();
  });

  const cases: [string, { tty: boolean; json?: boolean; CI?: string; TERM?: string }, boolean][] = [
    ['a terminal', { tty: true }, true],
    ['CI=true', { tty: true, CI: 'true' }, false],
    ['CI=1', { tty: true, CI: '1' }, false],
    ['CI=false', { tty: true, CI: 'false' }, true],
    ['--json', { tty: true, json: true }, false],
    ['TERM=dumb', { tty: true, TERM: 'dumb' }, false],
    ['a pipe', { tty: false }, false],
  ];
  for (const [name, c, live] of cases) {
    it(`${name}: ${live ? 'live block' : 'plain lines'}`, () => {
      process.stderr.isTTY = c.tty;
      delete process.env.CI;
      process.env.TERM = c.TERM ?? 'xterm';
      if (c.CI !== undefined) process.env.CI = c.CI;
      const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const out = new Output({ json: Boolean(c.json), color: false });
      const block = out.live(['go']);
      expect(Boolean(block)).toBe(live);
      out.info('go: published');
      block?.finish();
      const bytes = write.mock.calls.map((a) => String(a[0])).join('');
      if (live) expect(screen(bytes, 80)).toEqual(['go: published', 'go    0s']);
      else expect(bytes).toBe('go: published\n');
    });
  }

  it('while a block is drawn, the byte progress bar stays silent (it would tear the block)', () => {
    process.stderr.isTTY = true;
    delete process.env.CI;
    process.env.TERM = 'xterm';
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = new Output({ json: false, color: false });
    const block = out.live(['go'])!;
    const calls = write.mock.calls.length;
    out.progress('go: uploading')(5, 10);
    expect(write.mock.calls.length).toBe(calls);
    block.finish();
    out.progress('go: uploading')(10, 10);
    expect(write.mock.calls.length).toBeGreaterThan(calls);
  });
});
