import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** A temp name beside `target`, so the final rename never crosses a filesystem. */
export function tempSibling(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write `data` to `path` so readers see either the old file or the complete new one:
 * temp file in the same directory, fsync, rename, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** Flush a file's data to disk (before a rename makes it visible). */
export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Make a rename durable: without this a crash can forget the directory entry. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await fh?.close();
  }
}

/**
 * Flushes a file to disk in the background while it is still being written: one fsync each
 * time another `every` bytes went in (never two at once), and a last one from `flush()`.
 * Spreading the write-back over the write leaves little for the fsync that makes the file
 * durable later (temp + fsync + rename), which then no longer waits for the whole file.
 * Never rejects: that later fsync is the durability point, this only gets ahead of it.
 */
export class BackgroundFlush {
  private running: Promise<void> | null = null;
  private pending = 0;

  constructor(
    private readonly path: string,
    private readonly every: number,
  ) {}

  /** `n` more bytes were handed to the file. */
  wrote(n: number): void {
    this.pending += n;
    if (this.pending >= this.every && !this.running) this.start();
  }

  /** Resolves once everything handed to the file before this call has been flushed. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.start();
    await this.running;
  }

  /** Resolves once no fsync is running (starts none). */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  private start(): void {
    this.pending = 0;
    this.running = fsyncFile(this.path)
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
      });
  }
}
