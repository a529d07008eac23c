import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, SECRET_VARS } from '../../src/util/child-env.js';
import { npmSession } from '../../src/languages/ts/npm.js';
import { registerLanguage } from '../../src/languages/index.js';
import type { Language } from '../../src/languages/types.js';

const PRINT_ENV = 'process.stdout.write(JSON.stringify(process.env))';
const SET = { NPM_TOKEN: 'n-secret', TWINE_PASSWORD: 't-secret', GO_REGISTRY_TOKEN: 'g-secret', AWS_SECRET_ACCESS_KEY: 'a-secret', 'npm_config_//reg.example/:_authToken': 'c-secret' };

describe('childEnv', () => {
  afterEach(() => {
    for (const k of Object.keys(SET)) delete process.env[k];
  });

  it('scrubs secrets even when the spawner merges it over process.env (execa default)', async () => {
    Object.assign(process.env, SET, { AMEIDE_KEEP_ME: 'kept' });
    for (const extendEnv of [true, false]) {
      const r = await execa(process.execPath, ['-e', PRINT_ENV], { env: childEnv({ EXTRA: '1' }), extendEnv });
      const seen = JSON.parse(r.stdout) as Record<string, string>;
      for (const k of Object.keys(SET)) expect(seen[k], `${k} extendEnv=${extendEnv}`).toBeUndefined();
      expect(seen).toMatchObject({ EXTRA: '1', AMEIDE_KEEP_ME: 'kept', PATH: process.env.PATH });
    }
    delete process.env.AMEIDE_KEEP_ME;
  });

  it('scrubs a given base env (a command context) as well as process.env', () => {
    const env = childEnv({ GOWORK: 'off' }, { PATH: '/bin', GO_REGISTRY_TOKEN: 'x', TWINE_USERNAME: 'u' });
    expect(Object.entries(env).filter(([, v]) => v !== undefined)).toEqual([['PATH', '/bin'], ['GOWORK', 'off']]);
    expect(SECRET_VARS.every((k) => env[k] === undefined)).toBe(true);
  });

  it('npm gets its token only through the 0600 userconfig', async () => {
    Object.assign(process.env, SET);
    const s = await npmSession('http://127.0.0.1:4873/', 'the-token');
    try {
      const values = [...Object.values(SET), 'the-token'];
      expect(Object.entries(s.env).filter(([, v]) => v !== undefined && values.some((x) => v.includes(x)))).toEqual([]);
      const { readFile, stat } = await import('node:fs/promises');
      expect((await stat(s.env.npm_config_userconfig!)).mode & 0o777).toBe(0o600);
      expect(await readFile(s.env.npm_config_userconfig!, 'utf8')).toContain(':_authToken=the-token');
    } finally {
      await s.dispose();
    }
  });

  it("a language's declared secret is scrubbed as soon as the table has its row (no edit to this list)", async () => {
    const base = { CRATES_TOKEN: 'c-secret', CRATES_REGISTRY_URL: 'http://r.example' };
    expect(childEnv({}, base).CRATES_TOKEN).toBe('c-secret');
    const crates = {
      id: 'crates-secret-test',
      publishEnv: [{ name: 'CRATES_TOKEN', kind: 'text', required: true, purpose: 'publish token', secret: true }, { name: 'CRATES_REGISTRY_URL', kind: 'url', required: true, purpose: 'registry' }],
      smokeEnv: [],
    } as unknown as Language;
    const unregister = registerLanguage(crates);
    try {
      const env = childEnv({}, base);
      expect(env.CRATES_TOKEN).toBeUndefined();
      expect(env.CRATES_REGISTRY_URL).toBe('http://r.example');
      const r = await execa(process.execPath, ['-e', PRINT_ENV], { env: childEnv({}, { ...process.env, ...base }) });
      expect(JSON.parse(r.stdout).CRATES_TOKEN).toBeUndefined();
    } finally {
      unregister();
    }
  });
});
