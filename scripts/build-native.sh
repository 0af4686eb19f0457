#!/usr/bin/env bash
# Builds berthd's native parts with gcc (setup installs it); each is rebuilt only when its source is newer.
# - native/peercred.c -> native/build/peercred.node: the peer credentials of unix-socket clients, for
#   roles (a Node addon; Node's headers come with Debian's nodejs in /usr/include/node).
# - native/sendfile.c -> native/build/sendfile.node: sendfile(2) for berth-registry's blob GET.
# - native/berth-port-proxy.c -> dist/native/berth-port-proxy: the one userland proxy of published
#   ports; static, so it needs nothing at run time.
# - native/berth-spawn.c -> dist/native/berth-spawn: what starts processes (runc, conmon) and mounts for
#   berthd, so that the daemon never forks itself; static too.
set -euo pipefail
cd "$(dirname "$0")/.."

out=native/build/peercred.node
include=$(dirname "$(command -v node)")/../include/node
if [ ! -e "$out" ] || [ native/peercred.c -nt "$out" ]; then
  mkdir -p native/build
  gcc -O2 -Wall -Wextra -shared -fPIC -I"$include" -o "$out.tmp.$$" native/peercred.c
  mv "$out.tmp.$$" "$out"
fi

# native/sendfile.c -> native/build/sendfile.node: berth-registry's blob GET on the filesystem driver.
out=native/build/sendfile.node
if [ ! -e "$out" ] || [ native/sendfile.c -nt "$out" ]; then
  mkdir -p native/build
  gcc -O2 -Wall -Wextra -shared -fPIC -I"$include" -o "$out.tmp.$$" native/sendfile.c
  mv "$out.tmp.$$" "$out"
fi

src=native/berth-port-proxy.c
out=dist/native/berth-port-proxy
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p dist/native
  gcc -O2 -Wall -Wextra -Werror -static -o "$out.tmp.$$" "$src"
  mv "$out.tmp.$$" "$out"
fi

src=native/berth-spawn.c
out=dist/native/berth-spawn
if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
  mkdir -p dist/native
  gcc -O2 -Wall -Wextra -Werror -static -o "$out.tmp.$$" "$src"
  mv "$out.tmp.$$" "$out"
fi
