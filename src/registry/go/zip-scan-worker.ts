import { parentPort } from 'node:worker_threads';
import { ZipStreamScanner } from './zip-stream.js';
import type { ScanReply, ScanRequest } from './zip-scan.js';

/**
 * The worker thread the registry runs its upload scanners on (zip-scan.ts): one scanner per
 * upload, driven by the receiving thread's messages. It sends each deflated entry it locates
 * back as a job, and answers `finish` once with its records (after every job it sent).
 */
const scans = new Map<number, ZipStreamScanner>();
const port = parentPort!;

port.on('message', (m: ScanRequest) => {
  switch (m.op) {
    case 'start':
      scans.set(m.id, new ZipStreamScanner(m.options, (job) => port.postMessage({ id: m.id, job } satisfies ScanReply)));
      return;
    case 'written':
      scans.get(m.id)?.written(m.total);
      return;
    case 'finish': {
      const scan = scans.get(m.id);
      scans.delete(m.id);
      void (scan?.finish() ?? Promise.resolve(new Map())).then((records) => port.postMessage({ id: m.id, records: [...records.values()] } satisfies ScanReply));
      return;
    }
    case 'abort':
      scans.get(m.id)?.abort();
      scans.delete(m.id);
  }
});
