import { GO_PUBLISH_ENV, GO_SMOKE_ENV } from '../../config/env.js';
import type { Language } from '../types.js';
import { planGo } from './plan.js';
import { publishGo } from './publish.js';
import { servedGo, smokeGo } from './smoke.js';

export const goLanguage: Language = {
  id: 'go',
  plan: planGo,
  publishEnv: GO_PUBLISH_ENV,
  smokeEnv: GO_SMOKE_ENV,
  publish: publishGo,
  smoke: (ctx, plan, outcome, opts) => smokeGo(ctx, plan, outcome, { withGo: opts.withGo as boolean | undefined, upstreamProbe: opts.upstreamProbe as string | undefined }),
  served: servedGo,
};
