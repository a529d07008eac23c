/**
 * The environment for a child process (git, go, pip, npm, `python -m build`): the parent's,
 * minus every registry or cloud credential. Those children run code ameide-pkg does not
 * control — a build backend executes the repository's setup.py or hooks, npm runs lifecycle
 * scripts, go and pip talk to the network — and none of them needs a token: uploads happen
 * in-process, and npm gets its token from a 0600 userconfig file (languages/ts/npm.ts).
 *
 * Secrets are set to `undefined` rather than left out, so the result scrubs even when a
 * spawner merges it over process.env (execa's default `extendEnv`); Node passes no variable
 * whose value is undefined.
 */
export const SECRET_VARS = [
  'NPM_TOKEN',
  'NODE_AUTH_TOKEN',
  'TWINE_USERNAME',
  'TWINE_PASSWORD',
  'GO_REGISTRY_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

/** npm reads credentials from any `npm_config_…_authToken|_auth|_password|…` variable too. */
const NPM_AUTH_VAR = /^npm_config_.*(_authtoken|_auth|_password|_token)$/i;

/**
 * Secret variables the ecosystems declare (`secret: true` in an env spec): the table registers
 * them (languages/index.ts), so a new language's token is scrubbed without an edit here.
 */
const declaredSecrets = new Set<string>();
export function treatAsSecret(names: Iterable<string>): void {
  for (const n of names) declaredSecrets.add(n);
}

export const isSecretVar = (name: string) => (SECRET_VARS as readonly string[]).includes(name) || declaredSecrets.has(name) || NPM_AUTH_VAR.test(name);

/** `base` (default process.env) without secrets, plus `extra`. */
export function childEnv(extra: Record<string, string | undefined> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of [...SECRET_VARS, ...declaredSecrets, ...Object.keys(base), ...Object.keys(process.env)]) if (isSecretVar(name)) env[name] = undefined;
  return { ...env, ...extra };
}
