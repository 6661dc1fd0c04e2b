#!/usr/bin/env bash
# Installs Debian's chromium for examples/web's browser test (driven by playwright-core, which
# downloads no browser of its own). Idempotent and quiet: does nothing when chromium is installed.
# Needs root or sudo, and apt (Debian).
set -euo pipefail

if command -v chromium >/dev/null; then
  echo "setup-chromium: $(chromium --version 2>/dev/null | head -n1) already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-chromium: run as root (or install sudo)" >&2; exit 1; }
  SUDO=(sudo)
fi
command -v apt-get >/dev/null || { echo "setup-chromium: this script needs apt (Debian); install Chromium yourself and set TENFOLD_CHROMIUM to its executable" >&2; exit 1; }

# quiet unless something fails
run() {
  local out
  if ! out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" 2>&1); then
    echo "$out" >&2
    echo "setup-chromium: failed: $*" >&2
    exit 1
  fi
}
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends chromium
command -v chromium >/dev/null || { echo "setup-chromium: no chromium after installing" >&2; exit 1; }
echo "setup-chromium: installed $(chromium --version 2>/dev/null | head -n1)"
