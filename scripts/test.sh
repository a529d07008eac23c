#!/usr/bin/env bash
# The one test entry point (README, .ci/run and the GitHub workflow all call this).
# On a fresh machine it installs what the suite needs — nothing is ever skipped because a tool
# is missing — then builds and runs the whole vitest suite, ending with a plain
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*" >&2; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# --- system packages -------------------------------------------------------------------
# One list with scripts/setup.sh and the Containerfile: scripts/packages.sh.
# shellcheck source=scripts/packages.sh
source scripts/packages.sh
mapfile -t missing < <(missing_packages test)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- S3-compatible server for the S3 storage tests (moto_server, path-style on 127.0.0.1) ---------
if ! command -v moto_server >/dev/null 2>&1; then
  log "installing moto_server: pip install 'moto[server]'"
  (pip install --quiet 'moto[server]' || /usr/bin/python3 -m pip install --quiet 'moto[server]') >/dev/null 2>&1 || true
  hash -r
  command -v moto_server >/dev/null 2>&1 || { echo "moto_server is required by the S3 storage tests and could not be installed: run pip install 'moto[server]'" >&2; exit 1; }
fi

# --- node dependencies + build --------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ -n "${CI:-}" ]; then
  log "npm ci"
  # `npm ci` is README's first command, so CI uses it too: a lockfile it refuses is a bug.
  # (After changing dependencies, run scripts/lock-add-platform-stubs.mjs: the registry mirror
  # here lacks other platforms' optional binaries, npm/cli#4828.)
  npm ci --no-audit --no-fund --loglevel=error
else
  log "npm run build"
  npm run build --silent
fi

# --- tests -------------------------------------------------------------------------------------
mkdir -p tmp
log "vitest"
set +e
npx vitest run "$@"
status=$?
set -e
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync("tmp/vitest-report.json", "utf8")); } catch { console.log("0 passed, 1 failed"); process.exit(0); }
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + (r.numTotalTestSuites && !r.success && r.numFailedTests === 0 ? 1 : 0)} failed`);
'
exit "$status"
