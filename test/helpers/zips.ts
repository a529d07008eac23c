import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yazl from 'yazl';
import { refCreateZip } from './go.js';
import { tempDir } from './repo.js';

/** Build a zip from explicit entries (for invalid zips x/mod would refuse to create). */
export function craftZip(entries: { name: string; data?: string | Buffer; dir?: boolean }[]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const e of entries) {
    if (e.dir) z.addEmptyDirectory(e.name);
    else z.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? ''), e.name, { compress: true });
  }
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

export interface GoModuleFixture {
  module: string;
  version: string;
  mod: string;
  info: string;
  zip: Buffer;
  h1: string;
  dir: string;
}

/** A small Go module built into a zip by the real x/mod CreateFromDir. */
export function goModuleFixture(module: string, version: string, opts: { body?: string; time?: string } = {}): GoModuleFixture {
  const dir = tempDir('gomod-');
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  const mod = `module ${module}\n\ngo 1.19\n`;
  writeFileSync(join(src, 'go.mod'), mod);
  const pkg = module.split('/').pop()!.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'm';
  writeFileSync(join(src, 'lib.go'), `package ${/^v\d+$/.test(pkg) ? 'lib' : pkg}\n\n// Value is part of the module.\nfunc Value() string { return ${JSON.stringify(opts.body ?? version)} }\n`);
  const out = join(dir, 'm.zip');
  const r = refCreateZip(module, version, src, out);
  if (!r.ok) throw new Error(r.error);
  return { module, version, mod, info: JSON.stringify({ Version: version, Time: opts.time ?? '2025-11-06T08:27:52Z' }), zip: readFileSync(out), h1: r.h1!, dir };
}

/**
 * yazl refuses unsafe names, so hostile zips are made with a same-length placeholder that is
 * then replaced in both the local header and the central directory (names are not in the CRC).
 */
export function patchZipNames(zip: Buffer, placeholder: string, replacement: string): Buffer {
  if (placeholder.length !== replacement.length) throw new Error('placeholder and replacement must have equal length');
  const out = Buffer.from(zip);
  const needle = Buffer.from(placeholder);
  let i = out.indexOf(needle);
  while (i >= 0) {
    out.write(replacement, i);
    i = out.indexOf(needle, i + needle.length);
  }
  return out;
}
