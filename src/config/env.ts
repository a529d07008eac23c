import { usageError } from '../util/errors.js';

/**
 * The environment half of the configuration. No defaults are baked in: a missing value is
 * an error, and all missing/invalid names are reported in ONE message so a CI run needs one
 * round-trip to fix them (seed principle: "scripts must fail if required variables are missing").
 */
export type EnvKind = 'url' | 'text' | 'module-path' | 'go-proxy';

export interface EnvVar {
  name: string;
  kind: EnvKind;
  required: boolean;
  /** Shown in errors and `doctor`: what the variable is for. */
  purpose: string;
  secret?: boolean;
}

export type EnvSpec = readonly EnvVar[];

function invalidReason(kind: EnvKind, value: string): string | undefined {
  switch (kind) {
    case 'url': {
      try {
        const u = new URL(value);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
      } catch {
        return 'must be an http(s) URL';
      }
      return undefined;
    }
    case 'go-proxy': {
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
    case 'module-path':
      return /^[a-z0-9.-]+\.[a-z0-9.-]+(\/[^/\s]+)*$/.test(value) ? undefined : 'must be a Go module path';
    case 'text':
      return undefined;
  }
}

/** GOPROXY's first entry, without a trailing slash: where consumers read modules first. */
export function firstProxy(goproxy: string): string {
  return (goproxy.split(/[,|]/)[0] ?? '').trim().replace(/\/+$/, '');
}

export function readEnv(spec: EnvSpec, env: NodeJS.ProcessEnv, context: string): Record<string, string | undefined> {
  const missing: string[] = [];
  const invalid: string[] = [];
  const out: Record<string, string | undefined> = {};
  for (const v of spec) {
    const value = env[v.name];
    if (value === undefined || value === '') {
      if (v.required) missing.push(v.name);
      out[v.name] = undefined;
      continue;
    }
    const reason = invalidReason(v.kind, value);
    if (reason) invalid.push(`${v.name} ${reason}`);
    out[v.name] = value;
  }
  if (missing.length || invalid.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing environment for ${context}: ${missing.join(', ')}`);
    if (invalid.length) parts.push(`invalid: ${invalid.join('; ')}`);
    throw usageError(`${parts.join('; ')} (see README "Environment")`);
  }
  return out;
}

/** Check several specs and report every problem across all of them at once. */
export function checkEnvAll(specs: { spec: EnvSpec; context: string }[], env: NodeJS.ProcessEnv): void {
  const messages: string[] = [];
  for (const { spec, context } of specs) {
    try {
      readEnv(spec, env, context);
    } catch (err) {
      messages.push((err as Error).message.replace(/ \(see README "Environment"\)$/, ''));
    }
  }
  if (messages.length) throw usageError(`${messages.join('; ')} (see README "Environment")`);
}

export const GO_PUBLISH_ENV: EnvSpec = [
  { name: 'GO_REGISTRY_URL', kind: 'url', required: true, purpose: 'module uploader base URL (POST /upload)' },
  { name: 'GO_REGISTRY_TOKEN', kind: 'text', required: false, purpose: 'bearer token for the uploader', secret: true },
  { name: 'GO_MODULE_PATH', kind: 'module-path', required: false, purpose: "must equal go.mod's module line" },
];
export const GO_SMOKE_ENV: EnvSpec = [
  { name: 'GOPROXY', kind: 'go-proxy', required: true, purpose: 'proxy consumers read modules through' },
];
export const TS_PUBLISH_ENV: EnvSpec = [
  { name: 'NPM_REGISTRY_URL', kind: 'url', required: true, purpose: 'npm registry to publish to' },
  { name: 'NPM_TOKEN', kind: 'text', required: true, purpose: 'npm auth token', secret: true },
];
export const TS_SMOKE_ENV: EnvSpec = [
  { name: 'NPM_REGISTRY_URL', kind: 'url', required: true, purpose: 'npm registry consumers read from' },
];
export const PYTHON_PUBLISH_ENV: EnvSpec = [
  { name: 'TWINE_REPOSITORY_URL', kind: 'url', required: true, purpose: 'upload endpoint (legacy PyPI API)' },
  { name: 'TWINE_USERNAME', kind: 'text', required: true, purpose: 'index user' },
  { name: 'TWINE_PASSWORD', kind: 'text', required: true, purpose: 'index password or token', secret: true },
];
export const PYTHON_SMOKE_ENV: EnvSpec = [
  { name: 'PIP_INDEX_URL', kind: 'url', required: true, purpose: 'simple index consumers install from' },
];
