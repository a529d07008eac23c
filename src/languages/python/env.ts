import type { EnvSpec } from '../../config/env.js';

export const PYTHON_PUBLISH_ENV = [
  { name: 'TWINE_REPOSITORY_URL', kind: 'url', required: true, purpose: 'upload endpoint (legacy PyPI API)' },
  { name: 'TWINE_USERNAME', kind: 'text', required: true, purpose: 'index user' },
  { name: 'TWINE_PASSWORD', kind: 'text', required: true, purpose: 'index password or token', secret: true },
  { name: 'PIP_INDEX_URL', kind: 'url', required: false, purpose: 'lets a re-run keep the sdist an earlier run of the commit uploaded' },
] as const satisfies EnvSpec;

export const PYTHON_SMOKE_ENV = [{ name: 'PIP_INDEX_URL', kind: 'url', required: true, purpose: 'simple index consumers install from' }] as const satisfies EnvSpec;
