import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRegistryProcess } from '../helpers/registry.js';
import { scratchDirs } from '../helpers/repo.js';

/** `registry serve` says so (one stderr line each) when its secrets or its address are exposed. */
const { tmp } = scratchDirs();

async function serveStderr(args: string[]): Promise<string[]> {
  const reg = await startRegistryProcess(['--storage', tmp('reg-'), '--quiet', ...args]);
  await reg.stop();
  return reg.stderr().split('\n').filter((l) => l && !l.startsWith('SIGTERM'));
}

function secretFile(content: string, mode: number): string {
  const f = join(tmp('secret-'), 'file');
  writeFileSync(f, content);
  chmodSync(f, mode);
  return f;
}

describe('registry serve warnings', () => {
  it('warns once per group/world-readable --token-file and --python-auth-file, naming the fix', async () => {
    const token = secretFile('t0ken', 0o644);
    const auth = secretFile('u:p', 0o640);
    const lines = await serveStderr(['--token-file', token, '--python', '--python-auth-file', auth]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^warning: --token-file ${token} is readable by group or others \\(mode 0644\\): chmod 600 ${token}$`));
    expect(lines[1]).toMatch(new RegExp(`^warning: --python-auth-file ${auth} is readable by group or others \\(mode 0640\\): chmod 600 ${auth}$`));
    expect(lines.join('\n')).not.toMatch(/t0ken|u:p/);
  });

  it('is quiet with 0600 files on loopback', async () => {
    expect(await serveStderr(['--token-file', secretFile('t0ken', 0o600), '--python', '--python-auth-file', secretFile('u:p', 0o400)])).toEqual([]);
    expect(await serveStderr(['--host', '::1'])).toEqual([]);
  });

  it('warns loudly on a non-loopback address without --token-file, and not with one', async () => {
    const open = await serveStderr(['--host', '0.0.0.0']);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatch(/^warning: UNAUTHENTICATED: listening on 0\.0\.0\.0 without --token-file — anyone who can reach this port can upload; pass --token-file <file> or --host 127\.0\.0\.1$/);
    expect(await serveStderr(['--host', '0.0.0.0', '--token-file', secretFile('t0ken', 0o600)])).toEqual([]);
  });
});
