import { describe, expect, it } from 'vitest';
import { executionAsyncId } from 'node:async_hooks';
import { currentRequest, noteRequest, renderJson, renderText, requestIdFrom, runInRequest, type LogEvent } from '../../src/registry/log.js';
import { createMetrics, uploadResultOf } from '../../src/registry/metrics.js';
import { SeriesHistogram } from '../../src/registry/series-histogram.js';
import { parsePrometheusText, sampleValue } from '../helpers/prom-text.js';

const TIME = '2026-01-01T00:00:00.000Z';

describe('strict Prometheus text parser (the judge of /metrics must itself reject bad input)', () => {
  const ok = '# HELP h_seconds A histogram.\n# TYPE h_seconds histogram\nh_seconds_bucket{le="0.1"} 1\nh_seconds_bucket{le="+Inf"} 2\nh_seconds_sum 0.3\nh_seconds_count 2\n# TYPE c_total counter\nc_total{a="x\\"y\\\\z\\n"} 3\n';
  it('accepts a valid exposition and unescapes label values', () => {
    const f = parsePrometheusText(ok);
    expect(f.get('h_seconds')?.type).toBe('histogram');
    expect(sampleValue(f, 'c_total', { a: 'x"y\\z\n' })).toBe(3);
  });
  it.each([
    ['no trailing newline', ok.slice(0, -1)],
    ['no +Inf bucket', ok.replace('h_seconds_bucket{le="+Inf"} 2\n', '')],
    ['+Inf bucket differs from _count', ok.replace('h_seconds_count 2', 'h_seconds_count 3')],
    ['non-cumulative buckets', ok.replace('h_seconds_bucket{le="0.1"} 1', 'h_seconds_bucket{le="0.1"} 5')],
    ['missing _sum', ok.replace('h_seconds_sum 0.3\n', '')],
    ['bad escape in a label value', ok.replace('\\"y', '\\ty')],
    ['TYPE after a sample', ok + '# TYPE c_total counter\n'],
    ['duplicate series', ok + 'c_total{a="x\\"y\\\\z\\n"} 4\n'],
    ['non-contiguous family', ok + 'h_seconds_sum 1\n'],
    ['bad value', ok.replace('c_total{a="x\\"y\\\\z\\n"} 3', 'c_total{a="q"} three')],
    ['bad metric name', ok + '9bad 1\n'],
    ['foreign sample in a histogram', ok.replace('h_seconds_sum 0.3', 'h_seconds_max 0.3')],
  ])('rejects %s', (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('SeriesHistogram (the request histogram) is exposed exactly as prom-client exposes its own Histogram', () => {
  it('same observations, same text: buckets at and around every bound, several series, odd label values', async () => {
    const prom = (await import('prom-client')) as typeof import('prom-client');
    const bounds = [0.005, 0.01, 0.025, 0.1, 1, 300];
    const labelNames = ['route', 'method', 'status'] as const;
    const ours = new SeriesHistogram('h_seconds', 'A "histogram"\\ with\nescapes.', labelNames, bounds);
    const oursRegistry = new prom.Registry();
    oursRegistry.registerMetric(ours as unknown as import('prom-client').Metric);
    const theirsRegistry = new prom.Registry();
    const theirs = new prom.Histogram({ name: 'h_seconds', help: 'A "histogram"\\ with\nescapes.', labelNames, buckets: bounds, registers: [theirsRegistry] });
    const values = [0, 1e-9, ...bounds.flatMap((b) => [b * 0.999, b, b * 1.001]), 1234.5];
    const series = [
      ['read_api', 'GET', '200'],
      ['upload', 'POST', '201'],
      ['x"y\\z', 'other', '0'],
    ] as const;
    values.forEach((v, i) => {
      const [route, method, status] = series[i % series.length]!;
      ours.series(route, method, status).observe(v);
      theirs.labels(route, method, status).observe(v);
    });
    const text = await oursRegistry.metrics();
    expect(text).toBe(await theirsRegistry.metrics());
    // And the strict parser agrees it is a well-formed histogram.
    expect(sampleValue(parsePrometheusText(text + '\n'), 'h_seconds_count', { route: 'read_api', method: 'GET', status: '200' })).toBe(Math.ceil(values.length / 3));
    // Default labels, JSON (what cluster aggregation reads) and OpenMetrics come out the same too.
    for (const r of [oursRegistry, theirsRegistry]) r.setDefaultLabels({ instance: 'a"b' });
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics());
    // (prom-client's JSON also carries `exemplar: null` per bucket; exemplars are not used here.)
    const withoutExemplars = (ms: { values: object[] }[]) => ms.map((m) => ({ ...m, values: m.values.map(({ exemplar: _, ...v }: { exemplar?: unknown }) => v) }));
    expect(await oursRegistry.getMetricsAsJSON()).toEqual(withoutExemplars(await theirsRegistry.getMetricsAsJSON()));
    for (const r of [oursRegistry, theirsRegistry]) r.setContentType(prom.Registry.OPENMETRICS_CONTENT_TYPE as never);
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics());
    for (const r of [oursRegistry, theirsRegistry]) r.setContentType(prom.Registry.PROMETHEUS_CONTENT_TYPE as never);
    // A value that is not a number is refused by both, and counts nowhere.
    expect(() => ours.series('read_api', 'GET', '200').observe(NaN)).toThrow(TypeError);
    expect(() => theirs.labels('read_api', 'GET', '200').observe(NaN)).toThrow(TypeError);
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics());
    // After a reset nothing is exposed until observed again — through a series handle kept across it.
    const kept = ours.series('upload', 'POST', '201');
    oursRegistry.resetMetrics();
    theirsRegistry.resetMetrics();
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics());
    kept.observe(0.02);
    theirs.labels('upload', 'POST', '201').observe(0.02);
    expect(await oursRegistry.metrics()).toBe(await theirsRegistry.metrics());
  });
});

describe('registry metrics (prom-client)', () => {
  it('reads counted between scrapes all arrive, once each', async () => {
    const m = await createMetrics({ processMetrics: false });
    for (let i = 0; i < 3; i++) m.served('go', 'info');
    m.served('python', 'file');
    let f = parsePrometheusText((await m.expose()).body);
    expect(sampleValue(f, 'ameide_registry_served_total', { registry: 'go', kind: 'info' })).toBe(3);
    expect(sampleValue(f, 'ameide_registry_served_total', { registry: 'python', kind: 'file' })).toBe(1);
    m.served('go', 'info');
    f = parsePrometheusText((await m.expose()).body);
    f = parsePrometheusText((await m.expose()).body);
    expect(sampleValue(f, 'ameide_registry_served_total', { registry: 'go', kind: 'info' })).toBe(4);
    expect(sampleValue(f, 'ameide_registry_served_total', { registry: 'python', kind: 'file' })).toBe(1);
    m.close();
  });

  it('exposes strict Prometheus text; counters and histograms move by what was recorded', async () => {
    const m = await createMetrics({ processMetrics: false });
    const before = parsePrometheusText((await m.expose()).body);
    expect(sampleValue(before, 'ameide_registry_uploads_total', { registry: 'go', result: 'stored' })).toBe(0);
    m.upload('go', 'stored', 0.2, 1000);
    m.upload('go', 'conflict', 0.1, 500);
    m.request('upload', 'POST', 201, 0.2);
    m.request('upload', 'BREW', 999, 0.1);
    m.served('go', 'zip');
    m.gcPruned(2, 4096);
    const { body, contentType } = await m.expose();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const after = parsePrometheusText(body);
    expect(sampleValue(after, 'ameide_registry_uploads_total', { registry: 'go', result: 'stored' })).toBe(1);
    expect(sampleValue(after, 'ameide_registry_uploads_total', { registry: 'go', result: 'conflict' })).toBe(1);
    expect(sampleValue(after, 'ameide_registry_upload_received_bytes_total', { registry: 'go' })).toBe(1500);
    expect(sampleValue(after, 'ameide_registry_upload_duration_seconds_count', { registry: 'go', result: 'stored' })).toBe(1);
    expect(sampleValue(after, 'ameide_registry_served_total', { registry: 'go', kind: 'zip' })).toBe(1);
    expect(sampleValue(after, 'ameide_registry_gc_removed_versions_total')).toBe(2);
    expect(sampleValue(after, 'ameide_registry_gc_freed_bytes_total')).toBe(4096);
    // Unknown methods and statuses collapse into fixed label values (bounded cardinality).
    expect(sampleValue(after, 'ameide_registry_request_duration_seconds_count', { route: 'upload', method: 'other', status: '0' })).toBe(1);
    m.close();
  });

  it('maps upload answers to results', () => {
    expect([201, 200, 409, 400, 401, 413, 500, 0].map(uploadResultOf)).toEqual(['stored', 'identical', 'conflict', 'invalid', 'unauthorized', 'too_large', 'error', 'aborted']);
  });
});

describe('registry log events', () => {
  it('adopts a well-formed X-Request-Id and replaces anything else', () => {
    expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z');
    for (const bad of [undefined, '', 'has space', 'a'.repeat(200), 'ü', '-leading', ['a', 'b']]) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(requestIdFrom(undefined), 'generated ids are unique').not.toBe(requestIdFrom(undefined));
  });

  it('noteRequest is a no-op outside a request and fills the context inside one', async () => {
    noteRequest({ module: 'x' });
    expect(currentRequest()).toBeUndefined();
    const ctx = { requestId: 'r1' };
    await runInRequest(ctx, async () => {
      await new Promise((r) => setTimeout(r, 1));
      noteRequest({ module: 'example.com/m', version: 'v1.0.0' });
      noteRequest({ result: 'stored' });
    });
    expect(ctx).toEqual({ requestId: 'r1', module: 'example.com/m', version: 'v1.0.0', result: 'stored' });
  });

  it('overlapping requests keep their own context; the store is off between requests and comes back for the next', async () => {
    const tick = () => new Promise((r) => setTimeout(r, 1));
    // Promise reactions get an async id only while some async hook (an enabled
    // AsyncLocalStorage) is on: the cost the store is turned off to avoid.
    const hooksOn = () => Promise.resolve().then(() => executionAsyncId() !== 0);
    expect(await hooksOn(), 'nothing else in this process turns async hooks on').toBe(false);
    const seen: Record<string, (string | undefined)[]> = { a: [], b: [], c: [] };
    let endA!: () => void;
    const aMayEnd = new Promise<void>((r) => (endA = r));
    const a = runInRequest({ requestId: 'a' }, async () => {
      seen.a!.push(currentRequest()?.requestId);
      await aMayEnd;
      seen.a!.push(currentRequest()?.requestId);
    });
    let left!: () => void;
    const bLeftWork = new Promise<void>((r) => (left = r));
    const b = runInRequest({ requestId: 'b' }, async () => {
      await tick();
      seen.b!.push(currentRequest()?.requestId);
      // Work b leaves behind: it runs after b's promise settled, while a is still in flight.
      void tick().then(() => {
        seen.b!.push(currentRequest()?.requestId);
        left();
      });
    });
    await b;
    await bLeftWork;
    expect(await hooksOn(), 'a is still in flight').toBe(true);
    endA();
    await a;
    expect(seen.a).toEqual(['a', 'a']);
    expect(seen.b, 'b, and its leftover while a was still running').toEqual(['b', 'b']);
    // No request in flight: hooks are off, nothing carries a context, and a new request gets its own.
    expect(await hooksOn()).toBe(false);
    expect(currentRequest()).toBeUndefined();
    await runInRequest({ requestId: 'c' }, async () => {
      await tick();
      seen.c!.push(currentRequest()?.requestId);
    });
    expect(seen.c).toEqual(['c']);
    expect(currentRequest()).toBeUndefined();
    // A synchronous run (the server's last-resort log) and one that throws both leave it off.
    expect(runInRequest({ requestId: 'd' }, () => currentRequest()?.requestId)).toBe('d');
    expect(() => runInRequest({ requestId: 'e' }, () => { throw new Error('boom'); })).toThrow('boom');
    await expect(runInRequest({ requestId: 'f' }, async () => { await tick(); throw new Error('late'); })).rejects.toThrow('late');
    expect(await hooksOn()).toBe(false);
  });

  it('client-controlled text cannot forge a log entry in either format', () => {
    const forged = 'x\n[2026-01-01T00:00:00.000Z] POST /upload 201 1ms id=fake\r\u001b[2J';
    const events: LogEvent[] = [
      { kind: 'request', time: TIME, level: 'info', requestId: 'r', method: 'POST', path: `/a${forged}`, status: 400, durationMs: 1, module: forged, version: forged },
      { kind: 'message', time: TIME, level: 'warn', requestId: 'r', message: `upload rejected (400): invalid module path ${forged}` },
    ];
    for (const e of events) {
      const text = renderText(e);
      expect(text.split('\n').slice(1).every((l) => l.startsWith('    ')), text).toBe(true);
      expect(text).not.toMatch(/[\r\u001b]/);
      const json = renderJson(e);
      expect(json).not.toContain('\n');
      expect(JSON.parse(json)).toEqual(e);
    }
    expect(renderText(events[0]!)).not.toContain('\n');
  });
});
