import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, tempDir } from './repo.js';

export const GOMOD_FIXTURES = join(PROJECT_ROOT, 'fixtures/gomod');

/**
 * Copy a fixtures/gomod tree to a temp dir and materialize what git cannot hold:
 * `_git_`/`_hg_`/`_svn_`/`_bzr_` become `.git`/…, and `.empty-dirs` lists empty directories.
 */
export function materializeGoFixture(name: string): string {
  const dst = join(tempDir(`gomod-${name}-`), name);
  cpSync(join(GOMOD_FIXTURES, name), dst, { recursive: true, verbatimSymlinks: true });
  const rename = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        rename(p);
        const m = /^_(git|hg|svn|bzr)_$/.exec(e.name);
        if (m) renameSync(p, join(dir, `.${m[1]}`));
      }
    }
  };
  rename(dst);
  try {
    statSync(join(dst, '.empty-dirs'));
    for (const d of readFileSync(join(dst, '.empty-dirs'), 'utf8').split('\n').filter(Boolean)) mkdirSync(join(dst, d), { recursive: true });
  } catch {
    /* no empty dirs */
  }
  return dst;
}

export const validGoFixtures = () => readdirSync(GOMOD_FIXTURES).filter((n) => !n.startsWith('invalid-')).sort();
export const invalidGoFixtures = () => readdirSync(GOMOD_FIXTURES).filter((n) => n.startsWith('invalid-')).sort();
