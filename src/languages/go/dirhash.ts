import { createHash } from 'node:crypto';

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
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')));
  const h = createHash('sha256');
  for (const f of sorted) {
    if (f.name.includes('\n')) throw new Error(`dirhash: file name with newline is not supported: ${JSON.stringify(f.name)}`);
    h.update(`${f.sha256}  ${f.name}\n`);
  }
  return 'h1:' + h.digest('base64');
}
