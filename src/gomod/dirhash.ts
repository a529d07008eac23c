import { createHash } from 'node:crypto';
import { sortUtf8 } from './utf8-order.js';

/**
 * golang.org/x/mod/sumdb/dirhash Hash1 ("h1:"): sha256 over the lines
 * `<hex sha256 of file>  <name>\n` for every file name, sorted by bytes. For a module zip the
 * names are the zip entry names (`module@version/…`), directory entries included — which is
 * why module zips must contain file entries only. Pure.
 */
export interface HashedFile {
  name: string;
  /** Lower-case hex sha256 of the file's content. */
  sha256: string;
}

export function hash1(files: HashedFile[]): string {
  const sorted = sortUtf8([...files], (f) => f.name);
  // One update over the joined summary: 20k small updates cost more than the hashing itself.
  const lines: string[] = new Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i]!;
    if (f.name.includes('\n')) throw new Error(`dirhash: file name with newline is not supported: ${JSON.stringify(f.name)}`);
    lines[i] = `${f.sha256}  ${f.name}\n`;
  }
  return 'h1:' + createHash('sha256').update(lines.join(''), 'utf8').digest('base64');
}
