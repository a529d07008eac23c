/**
 * Just enough of the Kubernetes protobuf envelope to read what `kubectl create configmap`
 * sends (it posts `application/vnd.kubernetes.protobuf`): the `k8s\0` magic, a
 * runtime.Unknown {typeMeta=1, raw=2}, and a v1.ConfigMap {metadata=1, data=2,
 * binaryData=3, immutable=4} inside it. Responses are always JSON; client-go picks its
 * decoder from the response Content-Type.
 */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  wire: number;
  value: bigint | Buffer;
}

function* fields(buf: Buffer): Generator<Field> {
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      out |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return out;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) yield { no, wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      yield { no, wire, value: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 1) {
      yield { no, wire, value: buf.subarray(i, i + 8) };
      i += 8;
    } else if (wire === 5) {
      yield { no, wire, value: buf.subarray(i, i + 4) };
      i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

function mapEntry(buf: Buffer): [string, Buffer] {
  let k = '';
  let v: Buffer = Buffer.alloc(0);
  for (const f of fields(buf)) {
    if (f.no === 1) k = (f.value as Buffer).toString('utf8');
    if (f.no === 2) v = f.value as Buffer;
  }
  return [k, v];
}

function objectMeta(buf: Buffer): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const f of fields(buf)) {
    const s = () => (f.value as Buffer).toString('utf8');
    if (f.no === 1) meta.name = s();
    else if (f.no === 2 && s()) meta.generateName = s();
    else if (f.no === 3) meta.namespace = s();
    else if (f.no === 6) meta.resourceVersion = s();
    else if (f.no === 11) {
      const [k, v] = mapEntry(f.value as Buffer);
      labels[k] = v.toString('utf8');
    } else if (f.no === 12) {
      const [k, v] = mapEntry(f.value as Buffer);
      annotations[k] = v.toString('utf8');
    }
  }
  if (Object.keys(labels).length) meta.labels = labels;
  if (Object.keys(annotations).length) meta.annotations = annotations;
  return meta;
}

export function isProtobuf(body: Buffer): boolean {
  return body.subarray(0, 4).equals(MAGIC);
}

/** Decode a protobuf-encoded v1 ConfigMap or Namespace into its JSON form. */
export function decodeObject(body: Buffer): Record<string, unknown> {
  if (!isProtobuf(body)) throw new Error('missing k8s protobuf magic');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1) {
      for (const t of fields(f.value as Buffer)) {
        if (t.no === 1) apiVersion = (t.value as Buffer).toString('utf8');
        if (t.no === 2) kind = (t.value as Buffer).toString('utf8');
      }
    } else if (f.no === 2) raw = f.value as Buffer;
  }
  const obj: Record<string, unknown> = { apiVersion, kind };
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const f of fields(raw)) {
    if (f.no === 1) obj.metadata = objectMeta(f.value as Buffer);
    else if (kind === 'ConfigMap' && f.no === 2) {
      const [k, v] = mapEntry(f.value as Buffer);
      data[k] = v.toString('utf8');
    } else if (kind === 'ConfigMap' && f.no === 3) {
      const [k, v] = mapEntry(f.value as Buffer);
      binaryData[k] = v.toString('base64');
    } else if (kind === 'ConfigMap' && f.no === 4) obj.immutable = (f.value as bigint) !== 0n;
  }
  if (Object.keys(data).length) obj.data = data;
  if (Object.keys(binaryData).length) obj.binaryData = binaryData;
  return obj;
}
