import type { ServedKind, UploadResult } from './log.js';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';

/**
 * The registry's Prometheus metrics, behind one narrow interface. Invariants:
 *  1. Callers depend on `RegistryMetrics` only; `NO_METRICS` is the default everywhere, so
 *     handlers, gc and tests need nothing. prom-client is loaded by `createMetrics` alone,
 *     which only `registry serve` (the server) calls — never at CLI start-up.
 *  2. Every label has a small fixed set of values (route, method, status, result, kind):
 *     never a module path, version or client string. A hostile client can send a million
 *     module names; it must not be able to grow the metric set by one series.
 *  3. Each server has its own prom-client Registry, so several servers in one process (tests,
 *     `ameide-pkg dev`) never collide on metric names. Process metrics describe the process,
 *     not a server: they are collected once per process (their collectors sample the event
 *     loop and observe GC for as long as the process lives) and appended to each exposition.
 */
export type Route = 'upload' | 'external' | 'read_api' | 'python' | 'healthz' | 'readyz' | 'version' | 'metrics' | 'not_found' | 'invalid';
export type UploadRegistry = 'go' | 'python';

export interface RegistryMetrics {
  /** Every request, when it is over; status 0 when the connection ended unanswered. */
  request(route: Route, method: string, status: number, seconds: number): void;
  /** An upload (Go POST /upload, Python POST /pypi/) and what it came to. */
  upload(registry: UploadRegistry, result: UploadResult, seconds: number, bytesReceived: number): void;
  /** A read answered with content (200). */
  served(registry: UploadRegistry, kind: ServedKind): void;
  /** Versions a gc run removed and the bytes that freed. */
  gcPruned(versions: number, bytes: number): void;
}

export interface ExposedMetrics extends RegistryMetrics {
  /** The Prometheus text exposition of everything registered. */
  expose(): Promise<{ contentType: string; body: string }>;
  /** Forget this server's metrics (the per-process collectors stay). */
  close(): void;
}

export const NO_METRICS: RegistryMetrics = { request() {}, upload() {}, served() {}, gcPruned() {} };

/** Upload result from the answer's status, for handlers that did not name it themselves. */
export function uploadResultOf(status: number): UploadResult {
  switch (status) {
    case 201:
      return 'stored';
    case 200:
      return 'identical';
    case 400:
      return 'invalid';
    case 401:
    case 403:
      return 'unauthorized';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 0:
      return 'aborted';
    default:
      return 'error';
  }
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

// Requests are mostly milliseconds (reads, refusals); uploads of hundreds of MB take minutes.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const UPLOAD_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

type Prom = typeof import('prom-client');

async function loadProm(): Promise<Prom> {
  // A CommonJS module: under vitest the namespace has the named exports, in the esbuild
  // bundle only `default` (module.exports) does.
  const mod = (await import('prom-client')) as Prom & { default?: Prom };
  return mod.default ?? mod;
}

let processRegistry: Promise<import('prom-client').Registry> | undefined;
function processMetrics(prom: Prom): Promise<import('prom-client').Registry> {
  processRegistry ??= Promise.resolve().then(() => {
    const register = new prom.Registry();
    prom.collectDefaultMetrics({ register });
    return register;
  });
  return processRegistry;
}

export async function createMetrics(o: { processMetrics?: boolean } = {}): Promise<ExposedMetrics> {
  const prom = await loadProm();
  const proc = o.processMetrics === false ? undefined : await processMetrics(prom);
  const register = new prom.Registry();
  const registers = [register];
  // Observed on every request, the read API's in-memory answers included: see series-histogram.ts.
  const requests = new SeriesHistogram(
    'ameide_registry_request_duration_seconds',
    'Time from request headers to the end of the answer, by route, method and status (0: no answer).',
    ['route', 'method', 'status'],
    REQUEST_BUCKETS,
  );
  register.registerMetric(requests as unknown as import('prom-client').Metric);
  const uploads = new prom.Counter({
    name: 'ameide_registry_uploads_total',
    help: 'Uploads by registry and result: stored, identical, conflict, invalid, unauthorized, too_large, error, aborted.',
    labelNames: ['registry', 'result'] as const,
    registers,
  });
  const uploadSeconds = new prom.Histogram({
    name: 'ameide_registry_upload_duration_seconds',
    help: 'Time from upload request headers to the answer, by registry and result.',
    labelNames: ['registry', 'result'] as const,
    buckets: UPLOAD_BUCKETS,
    registers,
  });
  const received = new prom.Counter({
    name: 'ameide_registry_upload_received_bytes_total',
    help: 'Request body bytes received by uploads (including refused and aborted ones).',
    labelNames: ['registry'] as const,
    registers,
  });
  // Counted on every read as plain numbers, handed to prom-client when it is scraped.
  const servedSince: Record<UploadRegistry, Partial<Record<ServedKind, number>>> = { go: {}, python: {} };
  new prom.Counter({
    name: 'ameide_registry_served_total',
    help: 'Reads answered with content: Go list, latest, info, mod, zip (one version downloaded); Python simple pages and files.',
    labelNames: ['registry', 'kind'] as const,
    registers,
    collect() {
      for (const [registry, kinds] of Object.entries(servedSince)) {
        for (const [kind, n] of Object.entries(kinds)) if (n) this.labels(registry, kind).inc(n);
        servedSince[registry as UploadRegistry] = {};
      }
    },
  });
  const gcVersions = new prom.Counter({ name: 'ameide_registry_gc_removed_versions_total', help: 'Versions removed by gc in this process.', registers });
  const gcBytes = new prom.Counter({ name: 'ameide_registry_gc_freed_bytes_total', help: 'Bytes freed by gc in this process.', registers });
  // Pre-create the upload series so a dashboard sees 0, not "no data", before the first upload.
  for (const registry of ['go', 'python'] as const) {
    received.labels(registry).inc(0);
    for (const result of ['stored', 'identical', 'conflict', 'invalid', 'unauthorized', 'too_large'] as const) uploads.labels(registry, result).inc(0);
  }

  // The few series a server has (invariant 2) are each resolved once, found by route, then
  // method, then status: constant strings and a number, so no key string is built per request.
  const requestSeries = new Map<Route, Map<string, Map<number, HistogramSeries>>>();

  return {
    request(route, method, status, seconds) {
      const m = METHODS.has(method) ? method : 'other';
      const s = Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
      let byMethod = requestSeries.get(route);
      if (!byMethod) requestSeries.set(route, (byMethod = new Map()));
      let byStatus = byMethod.get(m);
      if (!byStatus) byMethod.set(m, (byStatus = new Map()));
      let series = byStatus.get(s);
      if (!series) byStatus.set(s, (series = requests.series(route, m, String(s))));
      series.observe(seconds);
    },
    upload(registry, result, seconds, bytes) {
      uploads.labels(registry, result).inc();
      uploadSeconds.labels(registry, result).observe(seconds);
      if (bytes > 0) received.labels(registry).inc(bytes);
    },
    served(registry, kind) {
      const kinds = servedSince[registry];
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    },
    gcPruned(versions, bytes) {
      if (versions > 0) gcVersions.inc(versions);
      if (bytes > 0) gcBytes.inc(bytes);
    },
    async expose() {
      const body = (await register.metrics()) + (proc ? '\n' + (await proc.metrics()) : '');
      return { contentType: register.contentType, body };
    },
    close() {
      register.clear();
    },
  };
}
