import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Speculated, SpeculatedEntry } from '../../gomod/zip-check.js';
import { InflateJobs, ZipStreamScanner, type InflateJob, type ZipStreamOptions } from './zip-stream.js';

/**
 * Where an upload's one-pass scanner (zip-stream.ts) runs. The scanner that follows the
 * staged file — reading it back, parsing headers, hashing stored entries — runs on one worker
 * thread the process shares among its uploads; the deflated entries it locates come back as
 * jobs and are inflated here, on the thread that receives uploads, with zlib on the thread
 * pool (docs/architecture.md §7.1). Why split so: the receiving thread keeps only the work
 * whose buffers are garbage — zlib's output chunks, like the socket's — since V8 collects
 * them per thread and a second thread producing them would keep tens of megabytes more alive.
 *
 * The worker is a separate file of the build (dist/cli/zip-scan-worker.js); run from the
 * sources, where there is none, the whole scanner runs on the calling thread, with the same
 * records. The scanner only speculates: when the worker fails, every scan it had answers
 * "nothing recorded" and the upload reads its zip back from the file; the next upload starts
 * a new worker.
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

/** From the worker: a located deflated entry, or (once, last) the scan's own records. */
export type ScanReply = { id: number; job: InflateJob } | { id: number; records: SpeculatedEntry[] };

const WORKER_SCRIPT = new URL('./zip-scan-worker.js', import.meta.url);

export function startZipScan(options: ZipStreamOptions, script: URL = WORKER_SCRIPT): ZipScan {
  const worker = ScanWorker.for(script);
  return worker ? worker.start(options) : new ZipStreamScanner(options);
}

interface Pending {
  jobs: InflateJobs;
  /** Set by finish: called with the worker's records. */
  done?: (records: SpeculatedEntry[] | null) => void;
}

class ScanWorker {
  private static running = new Map<string, ScanWorker>();
  private static missing = new Set<string>();
  private readonly worker: Worker;
  private nextId = 1;
  private readonly scans = new Map<number, Pending>();

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
      const scan = this.scans.get(m.id);
      if (!scan) return;
      if ('job' in m) return scan.jobs.add({ ...m.job, inHand: null });
      this.scans.delete(m.id);
      scan.done?.(m.records);
    });
    const fail = () => this.retire();
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }

  private get alive(): boolean {
    return ScanWorker.running.get(this.script.href) === this;
  }

  start(options: ZipStreamOptions): ZipScan {
    const id = this.nextId++;
    const jobs = new InflateJobs(options);
    const scan: Pending = { jobs };
    this.scans.set(id, scan);
    const post = (m: ScanRequest) => {
      if (this.alive && this.scans.has(id)) this.worker.postMessage(m);
    };
    post({ op: 'start', id, options });
    return {
      written: (total) => {
        jobs.written(total);
        post({ op: 'written', id, total });
      },
      finish: async () => {
        if (!this.alive || !this.scans.has(id) || scan.done) return new Map();
        // The worker's records come after every job it sent; then the jobs finish here.
        const own = await new Promise<SpeculatedEntry[] | null>((resolve) => {
          scan.done = resolve;
          this.worker.postMessage({ op: 'finish', id } satisfies ScanRequest);
        });
        const inflated = await jobs.finish();
        if (own === null) return new Map();
        const records = new Map(inflated);
        for (const r of own) records.set(r.headerOffset, { ...r, content: r.content && Buffer.from(r.content.buffer, r.content.byteOffset, r.content.byteLength) });
        return records;
      },
      abort: () => {
        post({ op: 'abort', id });
        this.scans.delete(id);
        jobs.abort();
      },
    };
  }

  /** The worker failed or exited: its scans record nothing, and the next upload starts another. */
  private retire(): void {
    if (this.alive) ScanWorker.running.delete(this.script.href);
    for (const scan of this.scans.values()) {
      scan.jobs.abort();
      scan.done?.(null);
    }
    this.scans.clear();
    void this.worker.terminate();
  }
}
