#!/usr/bin/env bash
# Prepares this machine for Berth (Debian 12, root): the system packages the engine, the registry and
# the tests use, the npm dependencies, and the build. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command (or a path it installs) -> Debian package that provides it
packages=(
  runc:runc conmon:conmon iptables:iptables busybox:busybox-static socat:socat
  skopeo:skopeo docker-registry:docker-registry htpasswd:apache2-utils tmux:tmux curl:curl
  ip:iproute2 dockerd:docker.io containerd:containerd setfattr:attr zstd:zstd
  ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw tini:tini docker-compose:docker-compose
  /usr/lib/python3/dist-packages/docker:python3-docker gcc:gcc /usr/lib/x86_64-linux-gnu/libc.a:libc6-dev
  /usr/bin/chromium:chromium openssl:openssl
)
missing=()
for entry in "${packages[@]}"; do
  cmd=${entry%%:*} pkg=${entry#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ] || [ -x "/usr/sbin/$cmd" ] || [ -x "/usr/bin/$cmd" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as docker.io ship services; keep apt from starting any of them here.
  policy=/usr/sbin/policy-rc.d
  [ -e $policy ] || { printf '#!/bin/sh\nexit 101\n' > $policy; chmod +x $policy; trap 'rm -f $policy' EXIT; }
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
