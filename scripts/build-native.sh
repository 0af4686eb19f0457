#!/usr/bin/env bash
# Builds berthd's native helper, the userland proxy of published ports (native/berth-port-proxy.c), into
# dist/native/. Static, so it needs nothing at run time; rebuilt only when the source is newer.
set -euo pipefail
cd "$(dirname "$0")/.."
src=native/berth-port-proxy.c
out=dist/native/berth-port-proxy
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p dist/native
  gcc -O2 -Wall -Wextra -Werror -static -o "$out.tmp" "$src"
  mv "$out.tmp" "$out"
fi
