import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * The registry's log: typed events, rendered by the CLI as text (for people) or JSON lines
 * (for log pipelines). Invariants:
 *  1. What may be logged is decided here, by the event types: request line (method, path
 *     without its query string), status, duration, request id, and the module/version a
 *     handler names. Headers are never logged, so no Authorization and no token can reach
 *     a log line; query strings (where clients put secrets) are never logged either.
 *  2. One event is one line in both formats. Client-controlled text (paths, module names,
 *     error messages quoting them) cannot forge a second entry: JSON escapes it; the text
 *     format escapes control characters and indents continuation lines (stack traces).
 *  3. Handlers do not thread a request object through their call chains to be logged: the
 *     server runs each request inside an AsyncLocalStorage context, so a handler's message
 *     carries its request id, and `noteRequest` lets a handler name what the request was
 *     about (module, version, upload result, what a read served) for the request's one
 *     access-log event and its metrics.
 */
export type LogLevel = 'info' | 'warn' | 'error';

/** What an upload came to; the label of the uploads counter. */
export type UploadResult = 'stored' | 'identical' | 'conflict' | 'invalid' | 'unauthorized' | 'too_large' | 'error' | 'aborted';

/** One request, logged when it is over (answered or cut off). */
export interface RequestEvent {
  kind: 'request';
  time: string;
  level: LogLevel;
  requestId: string;
  method: string;
  /** Path without query; null when the request target was not a URL at all. */
  path: string | null;
  /** 0: the connection ended before an answer was sent. */
  status: number;
  durationMs: number;
  module?: string;
  version?: string;
  result?: UploadResult;
}

/** Anything else a component says (an upload rejected and why, an internal error's stack). */
export interface MessageEvent {
  kind: 'message';
  time: string;
  level: LogLevel;
  requestId?: string;
  message: string;
}

export type LogEvent = RequestEvent | MessageEvent;
export type LogSink = (event: LogEvent) => void;
export type LogFormat = 'text' | 'json';

/** What a read answered with content (200) was: the `kind` label of the served counter. */
export type ServedKind = 'list' | 'latest' | 'info' | 'mod' | 'zip' | 'simple' | 'file';

/** What a handler may tell about the request it is serving. */
export interface RequestNote {
  module?: string;
  version?: string;
  result?: UploadResult;
  /** What this read serves; counted only when the answer is a 200. */
  served?: ServedKind;
}

export interface RequestContext extends RequestNote {
  requestId: string;
}

const contexts = new AsyncLocalStorage<RequestContext>();

/**
 * Run `fn` (and everything it starts) as part of the request `ctx`. While any
 * AsyncLocalStorage is enabled, Node 20 runs async_hooks for every async resource in the
 * process — each tick, timer and socket write of every request, including the read API's
 * synchronous answers that never ask for a context. So the store is enabled only while a
 * request runs in it: when the last one is over (its promise settled) it is disabled again,
 * and the next `run` enables it. Work a handler leaves behind after its promise settled logs
 * with its own request id while other requests keep the store enabled, and without one when
 * none does — never with another request's.
 */
export function runInRequest<T>(ctx: RequestContext, fn: () => T): T {
  running++;
  let result: T;
  try {
    result = contexts.run(ctx, fn);
  } catch (err) {
    leave();
    throw err;
  }
  if (result instanceof Promise) return result.finally(leave) as T;
  leave();
  return result;
}
let running = 0;
function leave(): void {
  if (--running === 0) contexts.disable();
}

export function currentRequest(): RequestContext | undefined {
  return contexts.getStore();
}

/** Called by a handler; a no-op outside a request (unit tests, CLI code paths). */
export function noteRequest(note: RequestNote): void {
  const ctx = contexts.getStore();
  if (!ctx) return;
  for (const k of ['module', 'version', 'result', 'served'] as const) if (note[k] !== undefined) (ctx as unknown as Record<string, unknown>)[k] = note[k];
}

/**
 * A client's X-Request-Id is adopted when it is a plausible id (so a proxy's id links its
 * logs to ours); anything else — long, binary, with spaces — is replaced, since it is
 * echoed in a header and written to logs.
 */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// Generated ids: a random per-process prefix (replicas differ) and a counter — unique, and
// nearly free on the read API's in-memory fast path.
const PROCESS_ID = randomBytes(6).toString('hex');
let sequence = 0;
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? undefined : header?.trim();
  return given && REQUEST_ID.test(given) ? given : `${PROCESS_ID}-${(++sequence).toString(36)}`;
}

export function renderJson(e: LogEvent): string {
  return JSON.stringify(e);
}

/** Control characters escaped; a newline kept but indented, so it can never start an entry. */
function safeText(text: string): string {
  return text
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\n/g, '\n    ');
}

/** A value that is one plain token stays bare; anything else is quoted as a JSON string. */
const field = (v: string) => (/^[\x21-\x7e]+$/.test(v) && !v.includes('"') ? v : JSON.stringify(v));

export function renderText(e: LogEvent): string {
  if (e.kind === 'message') return `[${e.time}] ${e.level === 'info' ? '' : e.level + ': '}${safeText(e.message)}${e.requestId ? ` id=${e.requestId}` : ''}`;
  const parts = [`[${e.time}]`, field(e.method), e.path === null ? '(invalid target)' : field(e.path), String(e.status || 'aborted'), `${e.durationMs}ms`, `id=${e.requestId}`];
  if (e.module !== undefined) parts.push(`module=${field(e.module)}`);
  if (e.version !== undefined) parts.push(`version=${field(e.version)}`);
  if (e.result !== undefined) parts.push(`result=${e.result}`);
  return parts.join(' ');
}

export function renderLog(format: LogFormat): (e: LogEvent) => string {
  return format === 'json' ? renderJson : renderText;
}

/** The `log?: (line) => void` that handlers take, as message events of the current request. */
export function messageLogger(sink: LogSink | undefined, level: LogLevel = 'info'): ((line: string) => void) | undefined {
  if (!sink) return undefined;
  return (line) => {
    const requestId = currentRequest()?.requestId;
    // Handlers report internal failures as "upload failed: <stack>"; rejected client input
    // is the client's problem and stays at `level`.
    const lvl = /^(upload failed|error)\b/.test(line) ? 'error' : level;
    sink({ kind: 'message', time: new Date().toISOString(), level: lvl, ...(requestId ? { requestId } : {}), message: line });
  };
}
