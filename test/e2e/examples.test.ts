import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

/**
 * The Tiltfile and the GitHub Actions workflow are documentation people copy: every
 * ameide-pkg command line in them must name a real command and only options it accepts.
 */
function commandLines(file: string): string[][] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const lines: string[][] = [];
  // `npx ameide-pkg …` in YAML; `AMEIDE_PKG + ' publish --lang ' + lang + …` in Starlark.
  for (const m of text.matchAll(/npx ameide-pkg ([^\n>|]+)/g)) lines.push(m[1]!.trim().split(/\s+/));
  // `"$AMEIDE_PKG" publish --lang "$INPUT_LANG" …` in action.yml's scripts.
  for (const m of text.matchAll(/"\$AMEIDE_PKG" ([^\n>|]+)/g)) lines.push(m[1]!.trim().split(/\s+/));
  for (const m of text.matchAll(/AMEIDE_PKG \+ ((?:'[^']*'|\s*\+\s*|\w+)+)/g)) {
    const joined = [...m[1]!.matchAll(/'([^']*)'|(\w+)/g)].map((p) => (p[1] !== undefined ? p[1] : 'go')).join('');
    lines.push(joined.trim().split(/\s+/));
  }
  return lines;
}

describe('examples stay in sync with the CLI', () => {
  for (const [file, min] of [['examples/Tiltfile', 3], ['examples/github-actions/publish.yml', 1], ['action.yml', 2]] as const) {
    it(`${file}: every ameide-pkg command and option exists`, async () => {
      const lines = commandLines(file);
      expect(lines.length).toBeGreaterThanOrEqual(min);
      for (const argv of lines) {
        const words = argv.filter((a) => !a.startsWith('-'));
        const sub = words[0] === 'state' ? words.slice(0, 2) : words.slice(0, 1);
        const help = await runCli([...sub, '--help']);
        expect(help.exitCode, `${argv.join(' ')}: ${help.stderr}`).toBe(0);
        for (const flag of argv.filter((a) => a.startsWith('--'))) {
          if (flag === '--json') continue; // global
          expect(help.stdout, `${file}: ${argv.join(' ')}`).toContain(flag);
        }
      }
    });
  }
});
