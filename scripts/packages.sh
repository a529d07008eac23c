#!/usr/bin/env bash
# The one list of Debian packages ameide-pkg's demo and test suite need, shared by
# scripts/setup.sh (demo), scripts/test.sh (tests) and the Containerfile (runner image).
#
#   source scripts/packages.sh; missing_packages demo   → names not yet installed, one a line
#   bash scripts/packages.sh missing demo|test           → the same from the command line
#
# Each entry: package | scopes that need it | a command that succeeds when it is present.
# Debian's Python packages land in the system interpreter (/usr/bin/python3), not a pyenv
# python3 first on PATH.
AMEIDE_PACKAGES=(
  "golang-go|demo test runner|command -v go"
  "golang-golang-x-mod-dev|test|dpkg -s golang-golang-x-mod-dev"
  "python3-build|demo test runner|/usr/bin/python3 -c 'import build'"
  "python3-setuptools|demo test runner|/usr/bin/python3 -c 'import setuptools'"
  "python3-wheel|demo test runner|/usr/bin/python3 -c 'import wheel'"
  "python3-hatchling|test runner|/usr/bin/python3 -c 'import hatchling'"
  "python3-pip|demo test runner|/usr/bin/python3 -m pip --version || command -v pip"
  "twine|test|command -v twine"
  "openssl|test|command -v openssl"
  "git|demo test runner|command -v git"
  "kubernetes-client|test|command -v kubectl"
)

# Print the packages of one scope whose presence check fails.
missing_packages() {
  local scope="$1" entry name scopes check
  for entry in "${AMEIDE_PACKAGES[@]}"; do
    IFS='|' read -r name scopes check <<<"$entry"
    case " $scopes " in *" $scope "*) ;; *) continue ;; esac
    bash -c "$check" >/dev/null 2>&1 || echo "$name"
  done
}

# Print every package of one scope (for image builds, where nothing is installed yet).
scope_packages() {
  local scope="$1" entry name scopes check
  for entry in "${AMEIDE_PACKAGES[@]}"; do
    IFS='|' read -r name scopes check <<<"$entry"
    case " $scopes " in *" $scope "*) echo "$name" ;; esac
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    missing) missing_packages "${2:?scope: demo|test|runner}" ;;
    all) scope_packages "${2:?scope: demo|test|runner}" ;;
    *) echo "usage: bash scripts/packages.sh missing|all demo|test|runner" >&2; exit 2 ;;
  esac
fi
