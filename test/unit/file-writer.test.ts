import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { after, FileWriter } from '../../src/util/file-writer.js';
import { scratchDirs } from '../helpers/repo.js';

const { tmp } = scratchDirs();
const dir = tmp('file-writer-');

describe('FileWriter (the staged upload file)', () => {
  it('writes every chunk in order and reports the bytes in the file after each write, ending at the total', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => randomBytes(1 + ((i * 7919) % 20000)));
    const path = join(dir, 'a');
    const reports: number[] = [];
    await pipeline(
      Readable.from(chunks),
      new FileWriter(path, (total) => {
        // Whatever is reported is already in the file.
        expect(readFileSync(path).length).toBeGreaterThanOrEqual(total);
        reports.push(total);
      }),
    );
    const all = Buffer.concat(chunks);
    expect(readFileSync(path).equals(all)).toBe(true);
    expect(reports.at(-1)).toBe(all.length);
    expect(reports).toEqual([...reports].sort((a, b) => a - b));
    expect(reports.length).toBeLessThan(chunks.length); // queued chunks went out together
  });

  it('never writes over an existing file', async () => {
    const path = join(dir, 'b');
    writeFileSync(path, 'keep');
    await expect(pipeline(Readable.from([Buffer.from('x')]), new FileWriter(path))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(path, 'utf8')).toBe('keep');
  });

  it('reports nothing once destroyed, even for a write that was still in progress', async () => {
    for (let i = 0; i < 10; i++) {
      let destroyed = false;
      let late = 0;
      const w = new FileWriter(join(dir, `c${i}`), () => void (destroyed && late++));
      w.on('error', () => undefined);
      w.write(randomBytes(4 << 20));
      await new Promise((resolve) => setImmediate(resolve));
      destroyed = true;
      w.destroy(new Error('client gone'));
      await new Promise((resolve) => w.once('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(late).toBe(0);
    }
  });

  it('after a partial writev, what is left starts at the first unwritten byte', () => {
    const bufs = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
    const all = Buffer.concat(bufs).toString();
    for (let n = 0; n <= all.length; n++) expect(Buffer.concat(after(bufs, n)).toString(), `after ${n}`).toBe(all.slice(n));
    expect(after(bufs, 3)[0]!.toString()).toBe('de'); // whole buffers are not copied or cut
  });
});
