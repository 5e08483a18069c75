#!/usr/bin/env bash
# Install what the Docker image tests need: Debian's docker.io (dockerd + CLI), docker-registry
# and busybox-static (the base image is built from it; nothing is pulled from the internet).
# Idempotent: installs only what is missing, runs `apt-get update` once, and only if needed.
# The tests start their own dockerd (private data-root/socket, no bridge, no iptables); this
# script neither enables nor starts the system service.
set -euo pipefail

PACKAGES=(docker.io docker-registry busybox-static)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
# A machine that already has a Docker engine (e.g. docker-ce/moby on CI runners) keeps it:
# docker.io would conflict with containerd.io there, and any engine >= 20.10 does.
if ! installed docker.io && ! { command -v dockerd && command -v docker; } >/dev/null 2>&1; then
  missing+=(docker.io)
fi
installed docker-registry || missing+=(docker-registry)
# busybox-static, not busybox: the image has no libc, so the binary must be static.
installed busybox-static || missing+=(busybox-static)

if [ "${#missing[@]}" -eq 0 ]; then
  echo "docker deps: already installed (${PACKAGES[*]})"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "docker deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "docker deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
[ -n "${RELEASE_KIT_APT_UPDATED:-}" ] || "${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

for tool in dockerd docker docker-registry; do
  command -v "$tool" >/dev/null 2>&1 || { echo "docker deps: $tool not on PATH after install" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "docker deps: /bin/busybox missing after install" >&2; exit 1; }
echo "docker deps: ok"
