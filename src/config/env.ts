import { usageError } from '../util/errors.js';

/**
 * The environment half of the configuration. No defaults are baked in: a missing value is
 * an error, and all missing/invalid names are reported in ONE message so a CI run needs one
 * round-trip to fix them: a run must fail on a missing variable, never guess a default.
 */
/**
 * How a value is checked: `url` (http or https), `text` (anything non-empty), or a language's
 * own check (a Go module path, a GOPROXY list) that returns why a value is refused.
 */
export type EnvKind = 'url' | 'text' | ((value: string) => string | undefined);

export interface EnvVar {
  readonly name: string;
  readonly kind: EnvKind;
  readonly required: boolean;
  /** Shown in errors and `doctor`: what the variable is for. */
  readonly purpose: string;
  readonly secret?: boolean;
}

export type EnvSpec = readonly EnvVar[];

/**
 * The values `readEnv` returns for a spec declared `as const`: a required variable is a
 * string (readEnv threw otherwise), an optional one may be undefined.
 */
export type EnvValues<S extends EnvSpec> = {
  readonly [V in S[number] as V['name']]: V extends { required: true } ? string : string | undefined;
};

function invalidReason(kind: EnvKind, value: string): string | undefined {
  if (typeof kind === 'function') return kind(value);
  if (kind === 'text') return undefined;
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
  return undefined;
}

export function readEnv<S extends EnvSpec>(spec: S, env: NodeJS.ProcessEnv, context: string): EnvValues<S> {
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
  return out as EnvValues<S>;
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
