import type { EnvSpec } from '../../config/env.js';

export const TS_PUBLISH_ENV = [
  { name: 'NPM_REGISTRY_URL', kind: 'url', required: true, purpose: 'npm registry to publish to' },
  { name: 'NPM_TOKEN', kind: 'text', required: true, purpose: 'npm auth token', secret: true },
] as const satisfies EnvSpec;

export const TS_SMOKE_ENV = [
  { name: 'NPM_REGISTRY_URL', kind: 'url', required: true, purpose: 'npm registry consumers read from' },
  { name: 'NPM_TOKEN', kind: 'text', required: false, purpose: 'npm auth token, for registries that need one to read', secret: true },
] as const satisfies EnvSpec;
