import { describe, expect, it } from 'vitest';
import { invokedCommand } from '../../src/cli/argv.js';

const names = ['version', 'registry', 'state'];

describe('invokedCommand (which command a start-up needs to register)', () => {
  it('finds the command after global options, with their values skipped', () => {
    expect(invokedCommand(['version', '--json'], names)).toBe('version');
    expect(invokedCommand(['-C', 'state', '--json', 'version'], names)).toBe('version');
    expect(invokedCommand(['--cwd', 'registry', 'state', 'push'], names)).toBe('state');
    expect(invokedCommand(['--cwd=x', '-Cy', '--no-color', 'registry', 'serve'], names)).toBe('registry');
  });

  it('is undefined whenever the whole program is needed: help, unknown words or options, --', () => {
    for (const args of [[], ['--help'], ['-h'], ['help', 'version'], ['verson'], ['--version'], ['-V'], ['--', 'version'], ['--bogus', 'version'], ['-C']]) {
      expect(invokedCommand(args, names), args.join(' ')).toBeUndefined();
    }
  });
});
