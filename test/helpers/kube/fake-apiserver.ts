import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeObject, isProtobuf } from './protobuf.js';

/**
 * A fake kube-apiserver holding Namespaces and ConfigMaps, faithful where ameide-pkg and
 * kubectl look: resourceVersion and optimistic concurrency, Status errors (401/403/404/409/
 * 415/422), merge / strategic-merge / JSON patch, a server-side-apply approximation with
 * per-manager ownership of data keys, `dryRun=All`, label selectors, Table output, the
 * discovery documents (`/version`, `/api`, `/apis`, `/api/v1`) and stub OpenAPI that kubectl
 * needs, protobuf request bodies (`kubectl create configmap`), and HTTPS + bearer tokens.
 * Its fidelity is tested with the real kubectl (test/e2e/kube-fake.test.ts).
 */

type Obj = Record<string, any>;

/** One RBAC PolicyRule, as in a Role manifest (core group only: the fake serves nothing else). */
export interface RbacRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A bearer token bound to a user name and the rules of the Roles bound to it. */
export interface RbacBinding {
  user: string;
  rules: RbacRule[];
}

export interface FakeApiServerOptions {
  /** Serve HTTPS with a fresh self-signed certificate (made with openssl). */
  https?: boolean;
  /** Require `Authorization: Bearer <token>`; this token may do everything. */
  token?: string;
  /**
   * Further tokens, each limited to its rules like the real RBAC authorizer: a resource request
   * is allowed only when one rule matches its API group, resource, verb (and name, where the
   * rule lists names); discovery and OpenAPI stay open to every authenticated user (the
   * `system:discovery` ClusterRole). Giving any of these enables authentication.
   */
  rbac?: Record<string, RbacBinding>;
  /** Namespaces that exist at start (`default` always does). */
  namespaces?: string[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  contentType?: string;
  fieldManager?: string;
}

export interface FakeApiServer {
  url: string;
  /** PEM of the serving certificate (HTTPS only). */
  caPem?: string;
  requests: RequestLogEntry[];
  configMap(ns: string, name: string): Obj | undefined;
  /** Seed or overwrite a ConfigMap directly (bumps resourceVersion). */
  putConfigMap(ns: string, name: string, data: Record<string, string>, labels?: Record<string, string>): Obj;
  deleteConfigMap(ns: string, name: string): void;
  addNamespace(ns: string): void;
  /** Answer 403 for this verb on this resource (e.g. "patch", "configmaps"). */
  forbid(verb: string, resource: string): void;
  /** Bind (or rebind) a bearer token to a user and rule list; see `FakeApiServerOptions.rbac`. */
  bindToken(token: string, binding: RbacBinding): void;
  /** Answer the next `count` requests matching `method` with a 409 Conflict (stale write). */
  conflictNext(method: string, count: number): void;
  /**
   * Hold the next `count` requests with this method until all have arrived (or `timeoutMs`
   * passed), then serve them one after another: makes races such as two creates of the same
   * ConfigMap deterministic.
   */
  barrier(method: string, count: number, timeoutMs?: number): void;
  /** Write a kubeconfig for this server; returns its path. */
  writeKubeconfig(dir: string, opts?: { namespace?: string; token?: string }): string;
  close(): Promise<void>;
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KEY_RE = /^[-._a-zA-Z0-9]+$/;
const MAX_CONFIGMAP_BYTES = 1024 * 1024;

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

class HttpStatus extends Error {
  constructor(public body: Obj) {
    super(body.message);
  }
}

const fail = (code: number, reason: string, message: string, details?: Obj): never => {
  throw new HttpStatus(status(code, reason, message, details));
};

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch, as far as ConfigMaps go: a merge patch plus `$patch: replace|delete`. */
function strategicMergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  return out;
}

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** RFC 6902 JSON patch. */
export function jsonPatch(doc: any, ops: any[]): any {
  if (!Array.isArray(ops)) fail(400, 'BadRequest', 'json patch must be an array of operations');
  let root = structuredClone(doc);
  const locate = (path: string): [any, string] => {
    if (path === '') return [null, ''];
    const parts = path.split('/').slice(1).map(unescapePointer);
    let cur = root;
    for (const p of parts.slice(0, -1)) {
      if (cur == null || typeof cur !== 'object' || !(p in cur)) fail(422, 'Invalid', `jsonpatch: path ${path} does not exist`);
      cur = cur[p];
    }
    return [cur, parts.at(-1)!];
  };
  const get = (path: string) => {
    if (path === '') return root;
    const [parent, key] = locate(path);
    if (parent == null || !(key in parent)) fail(422, 'Invalid', `jsonpatch: path ${path} does not exist`);
    return parent[key];
  };
  const put = (path: string, value: any, replace: boolean) => {
    if (path === '') {
      root = value;
      return;
    }
    const [parent, key] = locate(path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (replace) parent[i] = value;
      else parent.splice(i, 0, value);
    } else {
      if (replace && !(key in parent)) fail(422, 'Invalid', `jsonpatch replace: path ${path} does not exist`);
      parent[key] = value;
    }
  };
  const remove = (path: string) => {
    const [parent, key] = locate(path);
    if (parent == null || !(key in parent)) fail(422, 'Invalid', `jsonpatch remove: path ${path} does not exist`);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  };
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        put(op.path, structuredClone(op.value), false);
        break;
      case 'replace':
        put(op.path, structuredClone(op.value), true);
        break;
      case 'remove':
        remove(op.path);
        break;
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value)) fail(422, 'Invalid', `jsonpatch test failed at ${op.path}`);
        break;
      case 'move': {
        const v = get(op.from);
        remove(op.from);
        put(op.path, v, false);
        break;
      }
      case 'copy':
        put(op.path, structuredClone(get(op.from)), false);
        break;
      default:
        fail(400, 'BadRequest', `jsonpatch: unknown op ${JSON.stringify(op.op)}`);
    }
  }
  return root;
}

/** Whether one of the rules allows this request (k8s.io/apiserver RBAC `RuleAllows`). */
export function rbacAllows(rules: RbacRule[], req: { apiGroup: string; resource: string; verb: string; name?: string }): boolean {
  const has = (list: string[] | undefined, v: string) => Boolean(list?.includes('*') || list?.includes(v));
  return rules.some(
    (r) =>
      has(r.apiGroups, req.apiGroup) &&
      has(r.resources, req.resource) &&
      has(r.verbs, req.verb) &&
      // resourceNames cannot restrict create (there is no name yet) or list: such requests
      // match only rules without names, as in the real authorizer.
      (!r.resourceNames?.length || (req.name !== undefined && r.resourceNames.includes(req.name))),
  );
}

function selectorMatches(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const neq = term.split('!=');
    if (neq.length === 2) return labels[neq[0]!.trim()] !== neq[1]!.trim();
    const [k, v] = term.split(/==?/);
    if (v === undefined) return k!.trim() in labels;
    return labels[k!.trim()] === v.trim();
  });
}

const API_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['cm'], storageVersionHash: 'qFsyl6wFWjQ=' },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'], storageVersionHash: 'Q3oi5N2YM8M=' },
  ],
};

/**
 * The slice of the core/v1 OpenAPI v3 document kubectl reads before `apply`/`create -f`: the
 * `fieldValidation` parameter tells it the server validates fields itself, and the schemas
 * (with their group-version-kind) let it build apply configurations.
 */
const str = { type: 'string' };
const strMap = { type: 'object', additionalProperties: { type: 'string', default: '' } };
const gvk = (kind: string) => [{ group: '', kind, version: 'v1' }];
const writeOp = (kind: string, action: string) => ({
  'x-kubernetes-action': action,
  'x-kubernetes-group-version-kind': { group: '', kind, version: 'v1' },
  parameters: [
    { name: 'dryRun', in: 'query', schema: str },
    { name: 'fieldManager', in: 'query', schema: str },
    { name: 'fieldValidation', in: 'query', schema: str },
  ],
  requestBody: { content: { '*/*': { schema: { $ref: `#/components/schemas/io.k8s.api.core.v1.${kind}` } } } },
  responses: { '200': { description: 'OK' } },
});
const OPENAPI_V1 = {
  openapi: '3.0.0',
  info: { title: 'Kubernetes (fake)', version: 'v1.32.0' },
  paths: {
    '/api/v1/namespaces/{namespace}/configmaps': { post: writeOp('ConfigMap', 'post') },
    '/api/v1/namespaces/{namespace}/configmaps/{name}': { put: writeOp('ConfigMap', 'put'), patch: writeOp('ConfigMap', 'patch') },
    '/api/v1/namespaces': { post: writeOp('Namespace', 'post') },
  },
  components: {
    schemas: {
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
        type: 'object',
        properties: { name: str, generateName: str, namespace: str, uid: str, resourceVersion: str, creationTimestamp: str, labels: strMap, annotations: strMap, managedFields: { type: 'array', items: { type: 'object' } } },
      },
      'io.k8s.api.core.v1.ConfigMap': {
        type: 'object',
        properties: {
          apiVersion: str,
          kind: str,
          metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }], default: {} },
          data: strMap,
          binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
          immutable: { type: 'boolean' },
        },
        'x-kubernetes-group-version-kind': gvk('ConfigMap'),
      },
      'io.k8s.api.core.v1.Namespace': {
        type: 'object',
        properties: { apiVersion: str, kind: str, metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }], default: {} }, spec: { type: 'object' }, status: { type: 'object' } },
        'x-kubernetes-group-version-kind': gvk('Namespace'),
      },
    },
  },
};

function makeCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-kube-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=fake-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  let rv = 1000;
  const namespaces = new Map<string, Obj>();
  const configMaps = new Map<string, Map<string, Obj>>();
  /** SSA approximation: manager → owned data keys, per ConfigMap. */
  const owners = new Map<string, Map<string, Set<string>>>();
  const forbidden = new Set<string>();
  const bindings = new Map<string, RbacBinding>(Object.entries(opts.rbac ?? {}));
  const conflicts = new Map<string, number>();
  const requests: RequestLogEntry[] = [];
  const barriers = new Map<string, { waiting: (() => void)[]; count: number; timer?: NodeJS.Timeout }>();
  const passBarrier = (method: string): Promise<void> | undefined => {
    const b = barriers.get(method);
    if (!b) return undefined;
    return new Promise<void>((resolve) => {
      b.waiting.push(resolve);
      if (b.waiting.length >= b.count) {
        barriers.delete(method);
        clearTimeout(b.timer);
        b.waiting.forEach((r) => r());
      }
    });
  };

  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const addNamespace = (name: string) => {
    if (namespaces.has(name)) return;
    namespaces.set(name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: randomUUID(), resourceVersion: String(++rv), creationTimestamp: now() }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    configMaps.set(name, new Map());
  };
  addNamespace('default');
  for (const ns of opts.namespaces ?? []) addNamespace(ns);

  const ownerKey = (ns: string, name: string) => `${ns}/${name}`;
  const recordOwnership = (ns: string, name: string, manager: string | undefined, changed: string[], removedKeys: string[]) => {
    const m = owners.get(ownerKey(ns, name)) ?? new Map<string, Set<string>>();
    owners.set(ownerKey(ns, name), m);
    for (const set of m.values()) {
      for (const k of removedKeys) set.delete(k);
      if (manager) for (const k of changed) set.delete(k);
    }
    if (manager) {
      const own = m.get(manager) ?? new Set<string>();
      for (const k of changed) own.add(k);
      m.set(manager, own);
    }
  };
  const managedFields = (ns: string, name: string, ops: Map<string, string>) =>
    [...(owners.get(ownerKey(ns, name)) ?? new Map<string, Set<string>>()).entries()]
      .filter(([, keys]) => keys.size)
      .map(([manager, keys]) => ({
        manager,
        operation: ops.get(manager) ?? 'Update',
        apiVersion: 'v1',
        time: now(),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': Object.fromEntries([...keys].sort().map((k) => [`f:${k}`, {}])) },
      }));
  const operations = new Map<string, Map<string, string>>();

  const validate = (cm: Obj, name: string) => {
    const causes: Obj[] = [];
    if (!NAME_RE.test(name) || name.length > 253) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`, field: 'metadata.name' });
    let size = 0;
    for (const [k, v] of Object.entries(cm.data ?? {})) {
      if (!KEY_RE.test(k)) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`, field: `data[${k}]` });
      if (typeof v !== 'string') causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a string', field: `data[${k}]` });
      else size += k.length + Buffer.byteLength(v);
    }
    if (size > MAX_CONFIGMAP_BYTES) causes.push({ reason: 'FieldValueTooLong', message: `Too long: must have at most ${MAX_CONFIGMAP_BYTES} bytes`, field: 'data' });
    if (causes.length) fail(422, 'Invalid', `ConfigMap "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, { name, kind: 'ConfigMap', causes });
  };

  const store = (ns: string, name: string, next: Obj, prev: Obj | undefined, manager: string | undefined, op: string, dryRun: boolean): Obj => {
    validate(next, name);
    const out: Obj = structuredClone(next);
    out.apiVersion = 'v1';
    out.kind = 'ConfigMap';
    out.metadata = {
      ...(out.metadata ?? {}),
      name,
      namespace: ns,
      uid: prev?.metadata.uid ?? randomUUID(),
      creationTimestamp: prev?.metadata.creationTimestamp ?? now(),
      resourceVersion: dryRun ? (prev?.metadata.resourceVersion ?? '') : String(rv + 1),
    };
    delete out.metadata.managedFields;
    if (out.data && !Object.keys(out.data).length) delete out.data;
    if (dryRun) return out;
    rv++;
    const before = prev?.data ?? {};
    const after = out.data ?? {};
    const changed = Object.keys(after).filter((k) => before[k] !== after[k]);
    const removed = Object.keys(before).filter((k) => !(k in after));
    recordOwnership(ns, name, manager, changed, removed);
    if (manager) {
      const m = operations.get(ownerKey(ns, name)) ?? new Map<string, string>();
      m.set(manager, op);
      operations.set(ownerKey(ns, name), m);
    }
    const ops = operations.get(ownerKey(ns, name)) ?? new Map<string, string>();
    const mf = managedFields(ns, name, ops);
    if (mf.length) out.metadata.managedFields = mf;
    configMaps.get(ns)!.set(name, out);
    return out;
  };

  const checkStale = (method: string) => {
    const n = conflicts.get(method) ?? 0;
    if (n > 0) {
      conflicts.set(method, n - 1);
      fail(409, 'Conflict', 'Operation cannot be fulfilled on configmaps: the object has been modified; please apply your changes to the latest version and try again', { kind: 'configmaps' });
    }
  };

  const requireNamespace = (ns: string) => {
    if (!namespaces.has(ns)) fail(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
  };

  const tableFor = (items: Obj[], kind: string): Obj => ({
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(rv) },
    columnDefinitions:
      kind === 'ConfigMap'
        ? [
            { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
            { name: 'Data', type: 'string', format: '', description: 'Data contains the configuration data.', priority: 0 },
            { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp', priority: 0 },
          ]
        : [
            { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
            { name: 'Status', type: 'string', format: '', description: 'Phase', priority: 0 },
            { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp', priority: 0 },
          ],
    rows: items.map((o) => ({
      cells: kind === 'ConfigMap' ? [o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, '1m'] : [o.metadata.name, 'Active', '1m'],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  });

  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const parseBody = (body: Buffer, contentType: string): any => {
    if (isProtobuf(body)) return decodeObject(body);
    if (contentType.includes('yaml')) {
      // kubectl sends apply configurations as JSON even under the YAML content type.
      try {
        return JSON.parse(body.toString('utf8'));
      } catch {
        fail(415, 'UnsupportedMediaType', 'the fake apiserver accepts apply bodies in JSON form only');
      }
    }
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (err) {
      return fail(400, 'BadRequest', `the body of the request could not be decoded: ${(err as Error).message}`);
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const contentType = String(req.headers['content-type'] ?? '');
    const fieldManager = url.searchParams.get('fieldManager') ?? undefined;
    requests.push({ method, path: url.pathname, contentType: contentType || undefined, fieldManager });
    const send = (code: number, body: Obj) => {
      const text = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const accept = String(req.headers.accept ?? '');
    const wantsTable = accept.includes('as=Table');

    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const binding = bearer !== undefined ? bindings.get(bearer) : undefined;
    if ((opts.token || bindings.size) && !(opts.token && bearer === opts.token) && !binding) {
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0-fake', gitCommit: 'fake', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: url.host }] });
    if (path === '/apis') return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') return send(200, API_RESOURCES);
    if (path === '/openapi/v3') return send(200, { paths: { 'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=fake' } } });
    if (path === '/openapi/v3/api/v1') return send(200, OPENAPI_V1);
    if (path.startsWith('/openapi/')) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));

    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? await readBody(req) : Buffer.alloc(0);
    await passBarrier(method);
    const dryRun = url.searchParams.get('dryRun') === 'All';
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(configmaps|namespaces)(?:\/([^/]+))?$/.exec(path);
    if (!m) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const [, ns, resource, name] = m as unknown as [string, string | undefined, string, string | undefined];
    if (resource === 'namespaces' && ns) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const verb =
      method === 'GET' ? (name ? 'get' : 'list') : method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'PATCH' ? 'patch' : method === 'DELETE' ? 'delete' : method.toLowerCase();
    if (forbidden.has(`${verb} ${resource}`) || (binding && !rbacAllows(binding.rules, { apiGroup: '', resource, verb, name }))) {
      const where = ns ? ` in the namespace "${ns}"` : ' at the cluster scope';
      const user = binding?.user ?? 'system:serviceaccount:ameide:ameide-pkg';
      return send(403, status(403, 'Forbidden', `${resource}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group ""${where}`, { name, kind: resource }));
    }

    if (resource === 'namespaces') {
      if (method === 'GET' && !name) {
        const items = [...namespaces.values()];
        return send(200, wantsTable ? tableFor(items, 'Namespace') : { kind: 'NamespaceList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
      }
      if (method === 'GET') {
        const n = namespaces.get(name!);
        if (!n) return send(404, status(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' }));
        return send(200, wantsTable ? tableFor([n], 'Namespace') : n);
      }
      if (method === 'POST') {
        const obj = parseBody(body, contentType);
        const n = obj?.metadata?.name;
        if (!n || !NAME_RE.test(n)) return send(422, status(422, 'Invalid', `Namespace "${n}" is invalid`));
        if (namespaces.has(n)) return send(409, status(409, 'AlreadyExists', `namespaces "${n}" already exists`, { name: n, kind: 'namespaces' }));
        if (!dryRun) addNamespace(n);
        return send(201, namespaces.get(n) ?? obj);
      }
      return send(405, status(405, 'MethodNotAllowed', 'the fake apiserver supports get/list/create on namespaces'));
    }

    // configmaps
    if (!ns) {
      if (method !== 'GET' || name) return send(404, status(404, 'NotFound', 'not found'));
      const items = [...configMaps.values()].flatMap((mm) => [...mm.values()]).filter((o) => selectorMatches(url.searchParams.get('labelSelector'), o.metadata.labels));
      return send(200, wantsTable ? tableFor(items, 'ConfigMap') : { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
    }
    const nsMap = configMaps.get(ns);
    if (method === 'GET' && !name) {
      const items = [...(nsMap?.values() ?? [])].filter((o) => selectorMatches(url.searchParams.get('labelSelector'), o.metadata.labels));
      return send(200, wantsTable ? tableFor(items, 'ConfigMap') : { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items });
    }
    const notFound = () => fail(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' });
    switch (method) {
      case 'GET': {
        const o = nsMap?.get(name!) ?? notFound();
        return send(200, wantsTable ? tableFor([o], 'ConfigMap') : o);
      }
      case 'POST': {
        requireNamespace(ns);
        const obj = parseBody(body, contentType);
        if (obj?.kind && obj.kind !== 'ConfigMap') fail(400, 'BadRequest', `expected ConfigMap, got ${obj.kind}`);
        const n = obj?.metadata?.name ?? fail(422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
        if (obj.metadata.namespace && obj.metadata.namespace !== ns) fail(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        checkStale('POST');
        if (nsMap!.has(n)) fail(409, 'AlreadyExists', `configmaps "${n}" already exists`, { name: n, kind: 'configmaps' });
        return send(201, store(ns, n, obj, undefined, fieldManager ?? 'kubectl-create', 'Update', dryRun));
      }
      case 'PUT': {
        requireNamespace(ns);
        const prev = nsMap!.get(name!) ?? notFound();
        const obj = parseBody(body, contentType);
        checkStale('PUT');
        const sent = obj?.metadata?.resourceVersion;
        if (sent && sent !== prev.metadata.resourceVersion) fail(409, 'Conflict', `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'configmaps' });
        return send(200, store(ns, name!, obj, prev, fieldManager, 'Update', dryRun));
      }
      case 'PATCH': {
        requireNamespace(ns);
        const patch = parseBody(body, contentType);
        const prev = nsMap!.get(name!);
        checkStale('PATCH');
        if (contentType.startsWith('application/apply-patch')) {
          const manager = fieldManager ?? fail(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
          const force = url.searchParams.get('force') === 'true';
          const ownerMap = owners.get(ownerKey(ns, name!)) ?? new Map<string, Set<string>>();
          const mine = ownerMap.get(manager) ?? new Set<string>();
          const desired: Record<string, string> = patch.data ?? {};
          const current: Record<string, string> = prev?.data ?? {};
          if (!force) {
            const conflicting = Object.keys(desired).filter((k) => k in current && current[k] !== desired[k] && [...ownerMap.entries()].some(([mgr, keys]) => mgr !== manager && keys.has(k)));
            if (conflicting.length) fail(409, 'Conflict', `Apply failed with ${conflicting.length} conflict${conflicting.length > 1 ? 's' : ''}: ${conflicting.map((k) => `conflict with another manager: .data.${k}`).join(', ')}`, { name, kind: 'configmaps', causes: conflicting.map((k) => ({ reason: 'FieldManagerConflict', field: `.data.${k}` })) });
          }
          const data = { ...current };
          for (const k of mine) if (!(k in desired)) delete data[k];
          Object.assign(data, desired);
          const next = { ...(prev ?? {}), ...patch, metadata: { ...(prev?.metadata ?? {}), ...(patch.metadata ?? {}), labels: { ...(prev?.metadata?.labels ?? {}), ...(patch.metadata?.labels ?? {}) } }, data };
          if (!Object.keys(next.metadata.labels).length) delete next.metadata.labels;
          const out = store(ns, name!, next, prev, manager, 'Apply', dryRun);
          if (!dryRun) {
            // Apply owns exactly what it sent.
            const set = owners.get(ownerKey(ns, name!))!.get(manager)!;
            set.clear();
            for (const k of Object.keys(desired)) set.add(k);
          }
          return send(prev ? 200 : 201, out);
        }
        if (!prev) notFound();
        let next: Obj;
        if (contentType.startsWith('application/merge-patch+json')) next = mergePatch(prev, patch);
        else if (contentType.startsWith('application/strategic-merge-patch+json')) next = strategicMergePatch(prev, patch);
        else if (contentType.startsWith('application/json-patch+json')) next = jsonPatch(prev, patch);
        else return send(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`));
        const sent = next.metadata?.resourceVersion;
        if (sent && sent !== prev!.metadata.resourceVersion) fail(409, 'Conflict', `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: 'configmaps' });
        if (next.metadata?.name !== name) fail(422, 'Invalid', `ConfigMap "${name}" is invalid: metadata.name: Invalid value: field is immutable`);
        return send(200, store(ns, name!, next, prev, fieldManager ?? 'unknown', 'Update', dryRun));
      }
      case 'DELETE': {
        const prev = nsMap?.get(name!) ?? notFound();
        if (!dryRun) {
          nsMap!.delete(name!);
          owners.delete(ownerKey(ns, name!));
          operations.delete(ownerKey(ns, name!));
        }
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: 'configmaps', uid: prev.metadata.uid } });
      }
      default:
        return send(405, status(405, 'MethodNotAllowed', `method ${method} not allowed`));
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err) => {
      const body = err instanceof HttpStatus ? err.body : status(500, 'InternalError', String(err?.stack ?? err));
      const text = JSON.stringify(body);
      if (!res.headersSent) res.writeHead(body.code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  };
  const cert = opts.https ? makeCert() : undefined;
  const server: Server = cert ? createHttpsServer({ key: cert.key, cert: cert.cert }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `${cert ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url,
    caPem: cert?.cert,
    requests,
    configMap: (ns, name) => structuredClone(configMaps.get(ns)?.get(name)),
    putConfigMap(ns, name, data, labels) {
      addNamespace(ns);
      const prev = configMaps.get(ns)!.get(name);
      return store(ns, name, { metadata: { name, labels: labels ?? prev?.metadata.labels }, data }, prev, undefined, 'Update', false);
    },
    deleteConfigMap(ns, name) {
      configMaps.get(ns)?.delete(name);
      owners.delete(ownerKey(ns, name));
    },
    addNamespace,
    forbid: (verb, resource) => forbidden.add(`${verb} ${resource}`),
    bindToken: (token, binding) => bindings.set(token, binding),
    conflictNext: (method, count) => conflicts.set(method, count),
    barrier(method, count, timeoutMs = 5000) {
      const b: { waiting: (() => void)[]; count: number; timer?: NodeJS.Timeout } = { waiting: [], count };
      b.timer = setTimeout(() => {
        if (barriers.get(method) === b) barriers.delete(method);
        b.waiting.forEach((r) => r());
      }, timeoutMs);
      barriers.set(method, b);
    },
    writeKubeconfig(dir, k = {}) {
      const cluster: Obj = { server: url };
      if (cert) cluster['certificate-authority-data'] = Buffer.from(cert.cert).toString('base64');
      // client-node refuses plain http:// without this flag.
      else cluster['insecure-skip-tls-verify'] = true;
      const token = k.token ?? opts.token;
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake', cluster }],
        users: [{ name: 'fake-user', user: token ? { token } : {} }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user', ...(k.namespace ? { namespace: k.namespace } : {}) } }],
        'current-context': 'fake',
      };
      const path = join(dir, 'kubeconfig');
      // JSON is valid YAML; both kubectl and client-node read it.
      writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
      return path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
