import type { EnvSpec } from '../../config/env.js';

/** GOPROXY's first entry, without a trailing slash: where consumers read modules first. */
export function firstProxy(goproxy: string): string {
  return (goproxy.split(/[,|]/)[0] ?? '').trim().replace(/\/+$/, '');
}

/** GOPROXY's first entry when it is an http(s) proxy (not a file:// tree), else undefined. */
export function httpProxy(goproxy: string | undefined): string | undefined {
  const first = firstProxy(goproxy ?? '');
  return /^https?:\/\//.test(first) ? first : undefined;
}

function goProxyProblem(value: string): string | undefined {
  const first = firstProxy(value);
  if (first === 'direct' || first === 'off' || first === '') return 'first entry must be a proxy URL (not direct/off)';
  try {
    const u = new URL(first);
    if (!['http:', 'https:', 'file:'].includes(u.protocol)) return 'first entry must be an http(s) or file URL';
  } catch {
    return 'first entry must be a URL';
  }
  return undefined;
}

const modulePathProblem = (value: string) => (/^[a-z0-9.-]+\.[a-z0-9.-]+(\/[^/\s]+)*$/.test(value) ? undefined : 'must be a Go module path');

export const GO_PUBLISH_ENV = [
  { name: 'GO_REGISTRY_URL', kind: 'url', required: true, purpose: 'module uploader base URL (POST /upload)' },
  { name: 'GO_REGISTRY_TOKEN', kind: 'text', required: false, purpose: 'bearer token for the uploader', secret: true },
  { name: 'GO_MODULE_PATH', kind: modulePathProblem, required: false, purpose: "must equal go.mod's module line" },
] as const satisfies EnvSpec;

export const GO_SMOKE_ENV = [{ name: 'GOPROXY', kind: goProxyProblem, required: true, purpose: 'proxy consumers read modules through' }] as const satisfies EnvSpec;
