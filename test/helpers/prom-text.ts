/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws on
 * anything a scraper could reject or misread, rather than guessing. Checked per line: metric
 * and label name syntax, label value escapes (only \\ \" \n), values (Go float syntax, +Inf,
 * -Inf, NaN), optional integer timestamp. Checked per family: at most one HELP and one TYPE,
 * TYPE before the first sample, samples of a family contiguous, sample names that belong to
 * the family's type, no duplicate series. Histograms: every series has buckets with strictly
 * increasing `le`, non-decreasing cumulative counts, a `+Inf` bucket equal to `_count`, and a
 * `_sum`.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;

function parseValue(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: invalid value ${JSON.stringify(text)}`);
  if (/Inf$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return text === 'NaN' || /^[+-]NaN$/.test(text) ? NaN : Number(text);
}

/** `{a="x",b="y"}` starting at text[0] === '{'; returns the labels and the index after '}'. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why} in labels ${JSON.stringify(text)}`);
  };
  while (true) {
    if (text[i] === '}') return { labels, end: i + 1 };
    const eq = text.indexOf('=', i);
    if (eq < 0) fail('missing =');
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) fail(`invalid label name ${JSON.stringify(name)}`);
    if (name in labels) fail(`duplicate label ${name}`);
    if (text[eq + 1] !== '"') fail('label value not quoted');
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = text[j];
      if (c === undefined) fail('unterminated label value');
      if (c === '"') break;
      if (c === '\n') fail('raw newline');
      if (c === '\\') {
        const e = text[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else fail(`invalid escape \\${e ?? ''}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('expected , or }');
  }
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  if (families.has(sample)) return families.get(sample);
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f) return f;
  }
  return undefined;
}

function allowedSample(f: Family, name: string): boolean {
  if (name === f.name) return f.type !== 'histogram';
  const suffix = name.slice(f.name.length);
  if (f.type === 'histogram') return ['_bucket', '_sum', '_count', '_created'].includes(suffix);
  if (f.type === 'summary') return ['_sum', '_count', '_created'].includes(suffix);
  if (f.type === 'counter') return ['_total', '_created'].includes(suffix);
  return false;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seenSeries = new Set<string>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: invalid metric name ${JSON.stringify(name)}`);
      let f = families.get(name);
      if (f && closed.has(name)) throw new Error(`${where}: ${kind} for ${name} after its samples ended`);
      if (!f) {
        f = { name, type: 'untyped', samples: [] };
        families.set(name, f);
      }
      if (current && current !== f) closed.add(current.name);
      current = f;
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: invalid escape in HELP`);
        f.help = rest.replace(/\\(\\|n)/g, (_s, e: string) => (e === 'n' ? '\n' : '\\'));
      } else {
        if (f.samples.length) throw new Error(`${where}: TYPE for ${name} after its first sample`);
        if ((f as Family & { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        f.type = rest as MetricType;
        (f as Family & { typed?: boolean }).typed = true;
      }
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new Error(`${where}: not a sample: ${JSON.stringify(line)}`);
    const name = nm[0];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const l = parseLabels(rest, where);
      labels = l.labels;
      rest = rest.slice(l.end);
    }
    const fields = rest.split(' ');
    if (fields[0] !== '' || fields.length < 2 || fields.length > 3) throw new Error(`${where}: expected " value [timestamp]" after ${name}: ${JSON.stringify(rest)}`);
    const value = parseValue(fields[1]!, where);
    if (fields[2] !== undefined && !/^-?\d+$/.test(fields[2])) throw new Error(`${where}: invalid timestamp ${JSON.stringify(fields[2])}`);
    let f = familyOf(name, families);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    if (closed.has(f.name)) throw new Error(`${where}: samples of ${f.name} are not contiguous`);
    if (current && current !== f) closed.add(current.name);
    current = f;
    if (!allowedSample(f, name)) throw new Error(`${where}: sample ${name} does not belong to ${f.type} ${f.name}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seenSeries.has(key)) throw new Error(`${where}: duplicate series ${name}${JSON.stringify(labels)}`);
    seenSeries.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: { le: number; count: number }[]; sum?: number; count?: number }>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort());
  const get = (k: string) => series.get(k) ?? series.set(k, { buckets: [] }).get(k)!;
  for (const s of f.samples) {
    const entry = get(keyOf(s.labels));
    if (s.name.endsWith('_bucket')) {
      if (s.labels.le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push({ le: parseValue(s.labels.le, `${f.name} le`), count: s.value });
    } else if (s.name.endsWith('_sum')) entry.sum = s.value;
    else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [k, e] of series) {
    if (e.sum === undefined) throw new Error(`${f.name}${k}: no _sum`);
    if (e.count === undefined) throw new Error(`${f.name}${k}: no _count`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]!.le > e.buckets[i - 1]!.le)) throw new Error(`${f.name}${k}: le not increasing`);
      if (e.buckets[i]!.count < e.buckets[i - 1]!.count) throw new Error(`${f.name}${k}: bucket counts not cumulative`);
    }
    const inf = e.buckets.at(-1);
    if (!inf || inf.le !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (inf.count !== e.count) throw new Error(`${f.name}${k}: +Inf bucket ${inf.count} != _count ${e.count}`);
  }
}

/** The value of one series (labels must match exactly); undefined when absent. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = familyOf(name, families);
  const want = JSON.stringify(Object.entries(labels).sort());
  return f?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

/** Sum over every series of `name` whose labels include `labels`. */
export function sampleSum(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = familyOf(name, families);
  return (f?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
