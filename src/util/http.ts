import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * HTTP with retry for registry clients. Transient failures — connection refused/reset, socket
 * errors, 502/503/504 — are retried with exponential backoff and jitter; everything else is
 * returned to the caller to interpret. Bodies are produced by a factory so every attempt
 * streams afresh (a consumed stream cannot be replayed).
 */
export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

/**
 * The one retry setting: the first backoff in ms (doubling after each attempt), 250 unless
 * `AMEIDE_PKG_RETRY_BASE_MS` says otherwise (tests shorten it; a slow network may lengthen it).
 */
export function retryBaseDelayMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.AMEIDE_PKG_RETRY_BASE_MS);
  return Number.isFinite(n) && n >= 0 && env.AMEIDE_PKG_RETRY_BASE_MS !== '' && env.AMEIDE_PKG_RETRY_BASE_MS !== undefined ? n : 250;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);
const TRANSIENT_STATUS = new Set([502, 503, 504]);

export function transientReason(err: unknown): string | null {
  let e: any = err;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause) {
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return e.code;
  }
  return null;
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export async function requestWithRetry(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: () => Readable | string | Buffer | undefined },
  retry: RetryOptions = {},
): Promise<HttpResponse> {
  const { request } = await import('undici');
  const attempts = retry.attempts ?? 4;
  const base = retry.baseDelayMs ?? 250;
  let lastReason = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await request(url, { method: init.method as 'POST', headers: init.headers, body: init.body?.() });
      const text = await res.body.text();
      if (TRANSIENT_STATUS.has(res.statusCode) && attempt < attempts) {
        lastReason = `HTTP ${res.statusCode}`;
      } else {
        return { status: res.statusCode, headers: res.headers, text };
      }
    } catch (err) {
      const reason = transientReason(err);
      if (!reason) throw err;
      lastReason = reason;
      if (attempt === attempts) throw new HttpError(`${new URL(url).origin} unreachable after ${attempts} attempts (${reason})`, true);
    }
    const delay = Math.round(base * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
    retry.onRetry?.(attempt, lastReason, delay);
    await sleep(delay);
  }
  throw new HttpError(`request failed: ${lastReason}`, true);
}
