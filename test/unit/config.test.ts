import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv, checkEnvAll } from '../../src/config/env.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { loadConfig as loadWith } from '../../src/config/load.js';
import type { GoConfig } from '../../src/languages/go/config.js';
import { GO_PUBLISH_ENV, GO_SMOKE_ENV } from '../../src/languages/go/env.js';
import { configSchema, selectLanguages as selectWith } from '../../src/languages/index.js';
import { CliError } from '../../src/util/errors.js';
import { PROJECT_ROOT, tempDir, scratchDirs } from '../helpers/repo.js';

const { track } = scratchDirs();
const loadConfig = (root: string) => loadWith(root, configSchema());
const selectLanguages = (config: Parameters<typeof selectWith>[0], lang: string | undefined) => selectWith(config, lang).map((l) => l.id);

function dirWithConfig(cfg: unknown): string {
  const d = tempDir();
  track(d);
  writeFileSync(join(d, 'ameide-pkg.config.json'), typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
  return d;
}

async function usageOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(CliError);
  expect((e as CliError).exitCode).toBe(2);
  return (e as CliError).message;
}

describe('config file', () => {
  it('the checked-in JSON Schema is up to date (run `npm run schema`)', () => {
    expect(readFileSync(join(PROJECT_ROOT, 'schema/ameide-pkg.config.schema.json'), 'utf8')).toBe(configJsonSchema(configSchema()));
  });

  it('fills defaults, including the ConfigMap mapping of DESIGN.md §5', async () => {
    const { config } = await loadConfig(dirWithConfig({ go: { modules: [{ dir: 'go' }] } }));
    expect(config.stateDir).toBe('tmp/tilt-packages');
    expect(config.distTag).toBe('dev');
    expect((config.go as GoConfig | undefined)?.goBase).toBe('pseudo');
    expect(config.state.go).toEqual({ file: 'go.json', configMap: 'go-packages-state', key: 'ameide-sdk-go.json' });
    expect(config.state.ts?.configMap).toBe('ts-packages-state');
    expect(selectLanguages(config, 'all')).toEqual(['go']);
  });

  it('reports every problem at once', async () => {
    const msg = await usageOf(loadConfig(dirWithConfig({ distTag: '1.0', stateDir: '../out', bogus: 1, go: { modules: [] } })));
    expect(msg).toMatch(/distTag/);
    expect(msg).toMatch(/stateDir/);
    expect(msg).toMatch(/unknown key\(s\) bogus/);
    expect(msg).toMatch(/go\.modules/);
  });

  it('explains a missing or malformed file', async () => {
    const empty = tempDir();
    track(empty);
    expect(await usageOf(loadConfig(empty))).toMatch(/no ameide-pkg.config.json.*-C/);
    expect(await usageOf(loadConfig(dirWithConfig('{ nope')))).toMatch(/not valid JSON/);
  });

  it('refuses --lang for an unconfigured language', async () => {
    const { config } = await loadConfig(dirWithConfig({ go: { modules: [{ dir: 'go' }] } }));
    expect(() => selectLanguages(config, 'ts')).toThrow(/no "ts" section/);
  });
});

describe('environment', () => {
  it('lists all missing and invalid variables in one error', () => {
    let msg = '';
    try {
      checkEnvAll(
        [
          { spec: GO_PUBLISH_ENV, context: 'go publish' },
          { spec: GO_SMOKE_ENV, context: 'go smoke' },
        ],
        { GO_MODULE_PATH: 'not a path' },
      );
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/GO_REGISTRY_URL/);
    expect(msg).toMatch(/GOPROXY/);
    expect(msg).toMatch(/GO_MODULE_PATH must be a Go module path/);
  });
  it('accepts a complete environment and never echoes secret values in errors', () => {
    expect(readEnv(GO_PUBLISH_ENV, { GO_REGISTRY_URL: 'http://127.0.0.1:1', GO_REGISTRY_TOKEN: 's3cret' }, 'x').GO_REGISTRY_TOKEN).toBe('s3cret');
    try {
      readEnv(GO_PUBLISH_ENV, { GO_REGISTRY_URL: 'ftp://x', GO_REGISTRY_TOKEN: 's3cret' }, 'x');
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cret');
      expect((e as Error).message).toMatch(/GO_REGISTRY_URL must be an http\(s\) URL/);
    }
  });
});
