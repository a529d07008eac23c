import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Speculated, SpeculatedEntry } from '../../gomod/zip-check.js';
import { ZipStreamScanner, type ZipStreamOptions } from './zip-stream.js';

/**
 * Where an upload's one-pass scanner (zip-stream.ts) runs: on one worker thread the process
 * shares among its uploads, so the thread receiving uploads only writes them to disk while
 * another thread reads them back, follows the headers and hashes what zlib inflates on the
 * thread pool. On two cores that is the difference between the receiving thread doing all of
 * it and doing a third of it (docs/architecture.md §7.1).
 *
 * The worker is a separate file of the build (dist/cli/zip-scan-worker.js); run from the
 * sources, where there is none, the scanner runs on the calling thread, with the same results.
 * The scanner only speculates, so when the worker fails, every scan it had answers "nothing
 * recorded" and the upload reads its zip back from the file; the next upload starts a new one.
 */
export interface ZipScan {
  /** The first `total` bytes of the zip are in the staged file. */
  written(total: number): void;
  /** The body is complete and written: the records, by local header offset. */
  finish(): Promise<Speculated>;
  /** The upload failed: drop the scan. */
  abort(): void;
}

export type ScanRequest =
  | { op: 'start'; id: number; options: ZipStreamOptions }
  | { op: 'written'; id: number; total: number }
  | { op: 'finish'; id: number }
  | { op: 'abort'; id: number };

export interface ScanReply {
  id: number;
  records: SpeculatedEntry[];
}

const WORKER_SCRIPT = new URL('./zip-scan-worker.js', import.meta.url);

export function startZipScan(options: ZipStreamOptions, script: URL = WORKER_SCRIPT): ZipScan {
  const worker = ScanWorker.for(script);
  return worker ? worker.start(options) : new ZipStreamScanner(options);
}

class ScanWorker {
  private static running = new Map<string, ScanWorker>();
  private static missing = new Set<string>();
  private readonly worker: Worker;
  private nextId = 1;
  /** Scans asked to finish, waiting for their records. */
  private readonly finishing = new Map<number, (records: Speculated) => void>();

  /** The worker of `script`, started when first needed; null when there is no such script. */
  static for(script: URL): ScanWorker | null {
    const key = script.href;
    const known = ScanWorker.running.get(key);
    if (known) return known;
    if (ScanWorker.missing.has(key)) return null;
    if (!existsSync(fileURLToPath(script))) {
      ScanWorker.missing.add(key);
      return null;
    }
    const started = new ScanWorker(script);
    ScanWorker.running.set(key, started);
    return started;
  }

  private constructor(private readonly script: URL) {
    // It needs no environment (secrets stay out of it), and never keeps the process alive.
    this.worker = new Worker(script, { env: {} });
    this.worker.unref();
    this.worker.on('message', (m: ScanReply) => {
      const done = this.finishing.get(m.id);
      this.finishing.delete(m.id);
      done?.(new Map(m.records.map((r) => [r.headerOffset, { ...r, content: r.content && Buffer.from(r.content.buffer, r.content.byteOffset, r.content.byteLength) }])));
    });
    const fail = () => this.retire();
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  start(options: ZipStreamOptions): ZipScan {
    const id = this.nextId++;
    let open = true;
    const post = (m: ScanRequest) => {
      if (open && ScanWorker.running.get(this.script.href) === this) this.worker.postMessage(m);
    };
    post({ op: 'start', id, options });
    return {
      written: (total) => post({ op: 'written', id, total }),
      finish: () => {
        if (!open || ScanWorker.running.get(this.script.href) !== this) return Promise.resolve(new Map());
        open = false;
        return new Promise((resolve) => {
          this.finishing.set(id, resolve);
          this.worker.postMessage({ op: 'finish', id } satisfies ScanRequest);
        });
      },
      abort: () => {
        post({ op: 'abort', id });
        open = false;
      },
    };
  }

  /** The worker failed or exited: its scans record nothing, and the next upload starts another. */
  private retire(): void {
    if (ScanWorker.running.get(this.script.href) === this) ScanWorker.running.delete(this.script.href);
    for (const done of this.finishing.values()) done(new Map());
    this.finishing.clear();
    void this.worker.terminate();
  }
}
