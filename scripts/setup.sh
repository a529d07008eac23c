#!/usr/bin/env bash
# Install the Debian packages `npm run demo` needs (go, Python's build backend, pip, git) so
# that the demo ends with npm, pip and go consumers all `ok`. Installs only as root with
# apt-get available; otherwise prints the exact command and exits 1. Nothing missing: exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/packages.sh
source scripts/packages.sh

mapfile -t missing < <(missing_packages demo)
if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: everything the demo needs is installed" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "setup: missing ${missing[*]} — run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
exit 1
