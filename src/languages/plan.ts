import type { LanguageId } from '../config/schema.js';
import type { Snapshot } from '../snapshot/resolve.js';
import { planGo } from './go/plan.js';
import { planPython } from './python/plan.js';
import { planTs } from './ts/plan.js';
import type { LanguageContext, VersionPlan } from './types.js';

/** Version planning only (no publish code), so `version` loads nothing it does not use. */
export const planners: Record<LanguageId, (ctx: LanguageContext, s: Snapshot) => Promise<VersionPlan>> = {
  ts: planTs,
  python: planPython,
  go: planGo,
};
