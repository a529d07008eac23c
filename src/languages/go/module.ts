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
 *
 * The judge is the x/mod the tests can run: Debian's golang-golang-x-mod-dev 0.7.0 with Go 1.19.
 * Known limits of the port, all deliberate:
 *  - Unicode letters (file names) come from Node's Unicode tables, which are newer than Go
 *    1.19's; letters added since then are accepted here and refused by that Go.
 *  - JavaScript strings cannot hold invalid UTF-8: a byte Go sees as invalid arrives here as
 *    U+FFFD, which every rule refuses as well.
 * Where the registry is stricter than x/mod it says so at the check (limits.ts: names the
 * file system cannot hold; info.ts: a commit time is required and stored as go writes it).
 */
export * from './semver.js';
export * from './path.js';
export * from './pseudo.js';
export * from './escape.js';
