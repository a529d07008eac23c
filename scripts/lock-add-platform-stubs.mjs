// npm on a registry mirror that only carries this platform's binaries (e.g. only
// @rollup/rollup-linux-x64-gnu) writes a lockfile without the other platforms' optional
// packages, and `npm ci` then refuses it as "not in sync" (npm/cli#4828). This adds a stub
// entry {version, optional} for every missing optional dependency; npm ci skips or tolerates
// them (they are optional), and on a full registry it resolves them normally.
// Run after any `npm install` that changes package-lock.json.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${key ? key + '/' : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    lock.packages[`node_modules/${name}`] = { version, ...(pkg.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
const { '': root, ...rest } = lock.packages;
lock.packages = { '': root, ...Object.fromEntries(Object.keys(rest).sort().map((k) => [k, rest[k]])) };
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} optional platform stub(s)`);
