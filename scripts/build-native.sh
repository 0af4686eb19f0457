#!/usr/bin/env bash
# Builds berthd's native addon (native/peercred.c -> native/build/peercred.node): the peer credentials
# of unix-socket clients, for roles. Needs gcc and Node's headers (Debian's nodejs ships them in
# /usr/include/node). Safe to run again: rebuilds only when the source is newer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=native/build/peercred.node
include=$(dirname "$(command -v node)")/../include/node
if [ ! -e "$out" ] || [ native/peercred.c -nt "$out" ]; then
  mkdir -p native/build
  gcc -O2 -Wall -Wextra -shared -fPIC -I"$include" -o "$out.tmp" native/peercred.c
  mv "$out.tmp" "$out"
fi
