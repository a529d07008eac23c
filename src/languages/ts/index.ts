import { TS_PUBLISH_ENV, TS_SMOKE_ENV } from '../../config/env.js';
import type { Language } from '../types.js';
import { planTs } from './plan.js';
import { publishTs } from './publish.js';
import { servedTs, smokeTs } from './smoke.js';

export const tsLanguage: Language = {
  id: 'ts',
  plan: planTs,
  publishEnv: TS_PUBLISH_ENV,
  smokeEnv: TS_SMOKE_ENV,
  publish: publishTs,
  smoke: (ctx, plan, outcome) => smokeTs(ctx, plan, outcome),
  served: servedTs,
};
