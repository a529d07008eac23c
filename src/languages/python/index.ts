import { PYTHON_PUBLISH_ENV, PYTHON_SMOKE_ENV } from '../../config/env.js';
import type { Language } from '../types.js';
import { planPython } from './plan.js';
import { publishPython } from './publish.js';
import { servedPython, smokePython } from './smoke.js';

export const pythonLanguage: Language = {
  id: 'python',
  plan: planPython,
  publishEnv: PYTHON_PUBLISH_ENV,
  smokeEnv: PYTHON_SMOKE_ENV,
  publish: publishPython,
  smoke: (ctx, plan, outcome, opts) => smokePython(ctx, plan, outcome, { withPip: opts.withPip as boolean | undefined }),
  served: servedPython,
};
