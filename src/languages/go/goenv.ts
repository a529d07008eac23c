/**
 * The consumer-side Go environment rules doctor checks, as pure functions. Pattern matching
 * follows golang.org/x/mod/module.MatchPrefixPatterns: comma-separated globs, each matched
 * (path.Match) against as many leading path elements of the module path as it has.
 */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchPrefixPatterns(patterns: string | undefined, target: string): boolean {
  for (const raw of (patterns ?? '').split(',')) {
    const pattern = raw.trim().replace(/\/+$/, '');
    if (!pattern) continue;
    const n = pattern.split('/').length;
    const parts = target.split('/');
    if (parts.length < n) continue;
    if (globToRegExp(pattern).test(parts.slice(0, n).join('/'))) return true;
  }
  return false;
}

export interface GoEnvFinding {
  id: 'go.goprivate-bypass' | 'go.sumdb' | 'go.gowork';
  level: 'error' | 'warn';
  what: string;
  why: string;
  fix: string;
}

/** What `go` would do with this env for these module paths. */
export function checkGoEnv(env: NodeJS.ProcessEnv, modules: string[]): GoEnvFinding[] {
  const out: GoEnvFinding[] = [];
  // GONOPROXY and GONOSUMDB default to GOPRIVATE when unset (cmd/go: "go help private").
  const noProxy = env.GONOPROXY !== undefined ? env.GONOPROXY : env.GOPRIVATE;
  const noSumDb = env.GONOSUMDB !== undefined ? env.GONOSUMDB : env.GOPRIVATE;
  const bypassed = modules.filter((m) => noProxy !== 'none' && matchPrefixPatterns(noProxy, m));
  if (bypassed.length) {
    const via = env.GONOPROXY !== undefined ? `GONOPROXY=${env.GONOPROXY}` : `GOPRIVATE=${env.GOPRIVATE} (GONOPROXY defaults to it)`;
    out.push({
      id: 'go.goprivate-bypass',
      level: 'error',
      what: `${via} makes go bypass GOPROXY for ${bypassed.join(', ')}`,
      why: 'go fetches those modules directly from their VCS host (https://<host>/…?go-get=1), never from the registry, and fails',
      fix: 'export GONOPROXY=none (keep GOPRIVATE for the checksum database), or use GONOSUMDB=<patterns> instead of GOPRIVATE',
    });
  }
  const sumdbOff = (env.GOSUMDB ?? '').trim() === 'off' || /(^|,|\s)-?insecure/.test(env.GOFLAGS ?? '');
  const unchecked = modules.filter((m) => !sumdbOff && !matchPrefixPatterns(noSumDb, m) && !matchPrefixPatterns(env.GONOSUMCHECK ?? '', m));
  if (unchecked.length) {
    out.push({
      id: 'go.sumdb',
      level: 'error',
      what: `GONOSUMDB does not cover ${unchecked.join(', ')}`,
      why: 'go asks sum.golang.org for a checksum of every module it downloads; a private snapshot is unknown there, so `go mod download`/`go build` fail with "verifying module … 404/410" (or a DNS error offline)',
      fix: `export GONOSUMDB=${[...new Set(unchecked.map((m) => m.split('/')[0]))].join(',')}`,
    });
  }
  if ((env.GOWORK ?? '') !== 'off') {
    out.push({
      id: 'go.gowork',
      level: 'warn',
      what: env.GOWORK ? `GOWORK=${env.GOWORK}` : 'GOWORK is not set to off',
      why: 'a go.work file (in the consumer or any parent directory) replaces modules with local checkouts, so builds may not use the published snapshot',
      fix: 'export GOWORK=off in CI and for smoke builds',
    });
  }
  return out;
}
