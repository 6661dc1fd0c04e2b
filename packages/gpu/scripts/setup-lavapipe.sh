#!/usr/bin/env bash
# Installs what a Debian machine without a GPU needs to run WebGPU (npm `webgpu`, Dawn on Vulkan):
# Mesa's lavapipe Vulkan driver. Debian bookworm's own Mesa (22.x) is too old for Dawn, so on
# bookworm it comes from bookworm-backports (25.x); newer Debian releases have it in main.
# Idempotent and quiet: does nothing when a new enough driver is installed. Needs root or sudo.
# Afterwards set XDG_RUNTIME_DIR if it is unset (e.g. export XDG_RUNTIME_DIR=$(mktemp -d)).
set -euo pipefail

MIN_MAJOR=25
have_major() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [[ -n "$v" && "${v%%.*}" =~ ^[0-9]+$ && "${v%%.*}" -ge $MIN_MAJOR ]]
}

if have_major; then
  echo "setup-lavapipe: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-lavapipe: run as root (or install sudo)" >&2; exit 1; }
  SUDO=(sudo)
fi
command -v apt-get >/dev/null || { echo "setup-lavapipe: this script needs apt (Debian); install Mesa >= $MIN_MAJOR with its lavapipe Vulkan driver yourself" >&2; exit 1; }

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
target=()
if [[ "$codename" == bookworm ]]; then
  # add bookworm-backports unless some apt source already has it, with the mirror the system uses
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(grep -rhs -m1 -E '^(URIs:|deb) +https?://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/ /etc/apt/sources.list | grep -oE 'https?://[^ ]+' | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" |
      "${SUDO[@]}" tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  target=(-t bookworm-backports)
fi

# quiet unless something fails
run() {
  local out
  if ! out=$("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive "$@" 2>&1); then
    echo "$out" >&2
    echo "setup-lavapipe: failed: $*" >&2
    exit 1
  fi
}
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends "${target[@]}" mesa-vulkan-drivers
have_major || { echo "setup-lavapipe: mesa-vulkan-drivers is $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) after installing; WebGPU needs >= $MIN_MAJOR" >&2; exit 1; }
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || { echo "setup-lavapipe: no lavapipe ICD in /usr/share/vulkan/icd.d" >&2; exit 1; }
echo "setup-lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
