import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../src/dev/stack.js';
import { CLI, makeRepo, scratchDirs } from '../helpers/repo.js';
import { screen } from '../helpers/screen.js';

/**
 * `publish --lang all` against the dev stack, once under a real pseudo-terminal (util-linux
 * `script`, from the essential bsdutils package) and once as CI runs it. On the terminal each
 * language gets one live line redrawn in place; under CI=true not one control byte is printed.
 */
const { tmp, track } = scratchDirs();
const GO_HOST = 'go.packages.dev.ameide.io';
const COLUMNS = 160;
const ESC = '\u001b';

let stack: DevStack;
let env: Record<string, string>;
let repo: string;

beforeAll(async () => {
  stack = await startDevStack({ consumerEnv: { GONOSUMDB: GO_HOST } });
  env = { PATH: process.env.PATH!, HOME: tmp('home-'), ...stack.env, ...stack.secrets, GONOSUMDB: GO_HOST };
  repo = track(makeRepo(undefined, { date: '2025-11-14T07:00:00Z' }));
}, 60_000);
afterAll(() => stack?.close());

/** Run the built CLI with a pty as stdin/stdout/stderr; returns every byte the terminal got. */
async function underPty(args: string[], extraEnv: Record<string, string>) {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  // script's pty has no size of its own (no terminal above it): give it one, as a window would.
  const r = await execa('script', ['-qfec', `stty cols ${COLUMNS} rows 50; exec ${quoted}`, '/dev/null'], {
    env: { ...env, ...extraEnv, SHELL: '/bin/sh' },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
  });
  return { exitCode: r.exitCode, bytes: String(r.stdout) };
}

describe('publish --lang all: live stages on a terminal, plain lines under CI', () => {
  it('on a TTY: one line per language redrawn in place through its stages, then the table', async () => {
    const r = await underPty(['publish', '--lang', 'all', '--no-push', '-C', repo], { TERM: 'xterm', NO_COLOR: '1' });
    expect(r.exitCode, r.bytes).toBe(0);
    // Redrawn in place: the cursor goes back up over the three language lines, many times.
    expect(r.bytes.split(`${ESC}[3A`).length - 1).toBeGreaterThan(3);
    expect(r.bytes).toContain(`\r${ESC}[2K`);
    // NO_COLOR turns colours off, not the redraw.
    expect(r.bytes).not.toMatch(/\u001b\[[0-9;]*m/);
    // Frames on the way: every language was seen in a stage still running ("stage…"), and
    // ts (npm publish takes seconds) while uploading.
    for (const lang of ['ts', 'python', 'go']) expect(r.bytes).toMatch(new RegExp(`\\r\\u001b\\[2K${lang} +(\\w+ › )*\\w+…`));
    expect(r.bytes).toMatch(/\r\u001b\[2Kts +plan › build › upload…/);
    // What the terminal shows at the end: each language once (no stale frames), every stage
    // it went through, ✓; the plain lines the languages print sit above the block; the table below.
    const shown = screen(r.bytes, COLUMNS);
    const block = shown.filter((l) => /^(ts|python|go) {2,}plan/.test(l));
    expect(block).toHaveLength(3);
    for (const [i, lang] of ['ts', 'python', 'go'].entries()) {
      expect(block[i]).toMatch(new RegExp(`^${lang} +plan › (build|upload) › (build|upload) › smoke › state ✓  \\d+s  \\d+ published$`));
    }
    const at = (re: RegExp) => shown.findIndex((l) => re.test(l));
    expect(at(/^snapshot 20251114070000 /)).toBe(0);
    expect(at(/^go: published go\.packages\.dev\.ameide\.io\/ameide-sdk-go@/)).toBeGreaterThan(0);
    expect(at(/^go: published/)).toBeLessThan(at(/^ts {2,}plan/));
    expect(at(/^LANG\s+PACKAGE\s+VERSION/)).toBeGreaterThan(at(/^go {2,}plan/));
    expect(shown.filter((l) => /^(ts|python|go)\s+\S+\s+\S+\s+\S+\s+ok\s+tmp\/tilt-packages\//.test(l))).toHaveLength(4);
    for (const l of ['ts', 'python', 'go']) expect(existsSync(join(repo, `tmp/tilt-packages/${l}.json`))).toBe(true);
  }, 240_000);

  it('under CI=true (no TTY): the plain lines and the table, not one escape byte', async () => {
    // Same commit again: every artifact is already there, so this run is quick and still
    // goes through plan, build and the registry check of every language.
    const r = await execa(process.execPath, [CLI, 'publish', '--lang', 'all', '--no-smoke', '--no-push', '-C', repo], { env: { ...env, CI: 'true', TERM: 'xterm' }, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const all = String(r.all);
    expect(all).not.toContain(ESC);
    expect(all).toMatch(/^snapshot 20251114070000 /m);
    expect(all).toMatch(/^ts: already present @ameide\/sdk@/m);
    expect(all).toMatch(/^go: already present go\.packages\.dev\.ameide\.io\/ameide-sdk-go@/m);
    expect(all).toMatch(/^LANG\s+PACKAGE\s+VERSION\s+DIGEST\s+SMOKE\s+STATE$/m);
    expect(all).not.toMatch(/plan › build/);
  }, 120_000);
});
