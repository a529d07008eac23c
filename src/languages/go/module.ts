/**
 * Go's rules for module paths and versions, ported from golang.org/x/mod/module and
 * golang.org/x/mod/semver, in four small modules re-exported here so imports keep one home:
 *   semver.ts  x/mod/semver (+ module.CanonicalVersion)
 *   path.ts    module/import/file paths, major-version suffixes, module.Check
 *   pseudo.ts  pseudo-versions
 *   escape.ts  case escaping for filesystems and URLs
 * Shared by the publisher (to refuse what `go` would refuse) and the registry (to refuse what
 * a client must never be served). x/mod's own test tables and generated inputs judge the port
 * (test/unit/xmod-tables.test.ts, test/unit/xmod-fuzz.test.ts). Pure; no I/O.
 */
export * from './semver.js';
export * from './path.js';
export * from './pseudo.js';
export * from './escape.js';
