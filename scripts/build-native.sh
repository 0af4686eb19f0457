#!/usr/bin/env bash
# Builds berthd's native parts with gcc (setup installs it); each is rebuilt only when its source is newer.
# - native/peercred.c -> native/build/peercred.node: the peer credentials of unix-socket clients, for
#   roles (a Node addon; Node's headers come with Debian's nodejs in /usr/include/node).
# - native/sendfile.c -> native/build/sendfile.node: sendfile(2) for berth-registry's blob GET.
# - native/pidfd.c -> native/build/pidfd.node: the end of a conmon told by the kernel (pidfd_open(2)),
#   which berthd watches instead of reading /proc on a timer.
# - native/berth-port-proxy.c -> dist/native/berth-port-proxy: the one userland proxy of published
#   ports; static, so it needs nothing at run time.
# - native/berth-spawn.c -> dist/native/berth-spawn: what starts processes (runc, conmon) and mounts for
#   berthd, so that the daemon never forks itself; static too.
set -euo pipefail
cd "$(dirname "$0")/.."

include=$(dirname "$(command -v node)")/../include/node

# build SOURCE OUTPUT GCC-FLAGS...: compiles to a temporary name and moves it into place.
build() {
  local src=$1 out=$2
  shift 2
  if [ ! -e "$out" ] || [ "$src" -nt "$out" ]; then
    mkdir -p "$(dirname "$out")"
    gcc -O2 -Wall -Wextra "$@" -o "$out.tmp.$$" "$src"
    mv "$out.tmp.$$" "$out"
  fi
}

build native/peercred.c native/build/peercred.node -shared -fPIC -I"$include"
build native/sendfile.c native/build/sendfile.node -shared -fPIC -I"$include"
build native/pidfd.c native/build/pidfd.node -shared -fPIC -I"$include"
build native/berth-port-proxy.c dist/native/berth-port-proxy -Werror -static
build native/berth-spawn.c dist/native/berth-spawn -Werror -static
