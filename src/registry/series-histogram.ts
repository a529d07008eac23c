/**
 * A Prometheus histogram whose series are found once and then observed with a bucket search
 * and three additions, for the one metric the registry observes on every request.
 *
 * prom-client's Histogram checks and hashes the label values on every observation (~0.4 µs,
 * plus the objects it allocates); on the read API's in-memory answers that was ~9% of the
 * server's time. Here `series(...)` resolves a label set once (callers keep the handle; it
 * stays valid across `reset`) and `observe` touches a Float64Array. prom-client stays the
 * judge of the text: the histogram is registered in its Registry and answers
 * `getForPromString()`/`get()` in the shape of its own Histogram, so names, escaping, default
 * labels and content type come from prom-client. The test feeds both the same observations
 * and compares their expositions.
 */
export interface HistogramSeries {
  observe(value: number): void;
}

interface SeriesState extends HistogramSeries {
  labels: Record<string, string>;
  /** Observations per bucket (not cumulative); the last slot is above the highest bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<string, SeriesState>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  /** The series of these label values (one per label name, in order), created at first use. */
  series(...values: string[]): HistogramSeries {
    const key = values.join('\u0000');
    const known = this.all.get(key);
    if (known) return known;
    const bounds = this.bounds;
    const s: SeriesState = {
      labels: Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] ?? ''])),
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        // prom-client refuses these too: one NaN would turn _sum into NaN for good.
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        // A sample is in the first bucket whose bound it does not exceed (`le`).
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        s.counts[i]!++;
        s.sum += value;
        s.count++;
      },
    };
    this.all.set(key, s);
    return s;
  }

  /**
   * What prom-client's Registry reads to write the text: per series, cumulative `_bucket` per
   * `le`, `+Inf`, `_sum`, `_count`; the series' labels as `sharedLabels`, so that the Registry
   * places them (and its default labels) exactly as for its own Histogram.
   */
  getForPromString(): HistogramData<{ labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }> {
    const values: { labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.all.values()) {
      // Not observed since the last reset: absent, as prom-client's reset leaves it.
      if (s.count === 0) continue;
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same values with their labels merged (prom-client's JSON and cluster aggregation). */
  get(): HistogramData<{ labels: Record<string, string | number>; value: number; metricName: string }> {
    const data = this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, ...v }) => ({ ...v, labels: { ...labels, ...sharedLabels } })) };
  }

  /** Every series back to no observations. Series stay valid: callers may hold them. */
  reset(): void {
    for (const s of this.all.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

interface HistogramData<V> {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: V[];
}
