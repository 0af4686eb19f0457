#!/usr/bin/env bash
# Makes an image of berth-registry that any engine can run, without a base image from a hub:
#   scripts/registry-image.sh [TAG]          (default berth-registry:latest; after `npm run build`)
#   docker run -d -p 5000:5000 -v $HOME/registry:/var/lib/registry berth-registry
# The root filesystem holds this host's node binary with the shared libraries it loads, dist/, and
# the production packages of package-lock.json; `docker import` (DOCKER_HOST decides which engine:
# berthd or dockerd) turns it into an image with the registry as its entrypoint. No REGISTRY_* ENV:
# the defaults are already :5000 and /var/lib/registry, and an ENV would override a mounted config.yml.
set -euo pipefail
TAG=${1:-berth-registry:latest}
DOCKER=${DOCKER:-docker}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -f "$ROOT/dist/registry/main.js" ] || { echo "registry-image: $ROOT/dist/registry/main.js is missing: run npm run build" >&2; exit 1; }
NODE=$(readlink -f "$(command -v node)")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-registry-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FS=$WORK/rootfs
mkdir -p "$FS"/{usr/local/bin,opt/berth,etc/ssl/certs,var/lib/registry,proc,sys,dev,root}
install -d -m 1777 "$FS/tmp"

# node and what the dynamic loader maps for it (ldd names the loader itself by its absolute path).
cp "$NODE" "$FS/usr/local/bin/node"
for lib in $(ldd "$NODE" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  cp -L --parents "$lib" "$FS"
done

printf 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$FS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$FS/etc/group"
# For NODE_EXTRA_CA_CERTS / --use-openssl-ca users (S3 endpoints with a private CA); node has its own.
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$FS/etc/ssl/certs/"

# package.json carries "type": "module", which dist/ needs. Only the packages the lock file does not
# mark as dev are copied: no npm run, no network.
cp -a "$ROOT/dist" "$ROOT/package.json" "$ROOT/package-lock.json" "$FS/opt/berth/"
mapfile -t PACKAGES < <(cd "$ROOT" && node -e '
  const lock = require("./package-lock.json");
  for (const [path, p] of Object.entries(lock.packages))
    if (path.startsWith("node_modules/") && !p.dev && !p.devOptional && !p.link && require("fs").existsSync(path)) console.log(path);
')
(cd "$ROOT" && cp -a --parents "${PACKAGES[@]}" "$FS/opt/berth/")

VERSION=$(node -p 'require(process.argv[1]).version' "$ROOT/package.json")
tar -C "$FS" --numeric-owner --owner=0 --group=0 -c . | "$DOCKER" import \
  -c 'ENTRYPOINT ["/usr/local/bin/node", "/opt/berth/dist/registry/main.js"]' \
  -c 'WORKDIR /opt/berth' \
  -c 'EXPOSE 5000' \
  -c 'VOLUME /var/lib/registry' \
  -c 'ENV NODE_ENV=production' \
  -c "LABEL org.opencontainers.image.title=berth-registry org.opencontainers.image.version=$VERSION" \
  -m "berth-registry $VERSION, node $("$NODE" --version)" \
  - "$TAG"
