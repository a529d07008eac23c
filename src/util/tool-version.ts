/**
 * The version of ameide-pkg itself (package.json "version").
 *
 * scripts/build.mjs replaces `__AMEIDE_PKG_VERSION__` with the string at bundle time, so
 * printing it costs nothing at start-up (no package.json lookup on a path that differs between
 * a checkout, an npm install and the container image). Unbundled runs (vitest on the sources)
 * have no define: they say so instead of guessing.
 */
declare const __AMEIDE_PKG_VERSION__: string | undefined;

export const TOOL_VERSION: string = typeof __AMEIDE_PKG_VERSION__ === 'string' ? __AMEIDE_PKG_VERSION__ : '0.0.0-unbundled';
