#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster (one monitor, one memstore OSD) and a radosgw on
# 127.0.0.1:<port>, all state under <dir>; prints nothing on success. Stop it by killing the pids in
# <dir>/run/*.pid (the test helper does). Needs Debian's ceph-mon, ceph-osd, radosgw.
#   ceph-rgw.sh <dir> <rgw-port> <mon-port> <access-key> <secret-key>
set -euo pipefail
D=$1 PORT=$2 MONPORT=$3 AK=$4 SK=$5
# scripts/setup.sh should install these; install them here if a machine lacks them.
if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph-mon >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  policy=/usr/sbin/policy-rc.d
  [ -e $policy ] || { printf '#!/bin/sh\nexit 101\n' > $policy; chmod +x $policy; trap 'rm -f $policy' EXIT; }
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ceph-mon ceph-osd radosgw >/dev/null
fi
mkdir -p "$D/mon" "$D/osd" "$D/run" "$D/rgw"
# A monitor that answers `mon stat` can still refuse commands for a moment while it settles
# ("EPERM: problem getting command descriptions from mon"): retry such calls for up to 10 s.
retry() {
  local i
  for i in $(seq 50); do "$@" 2>/dev/null && return 0; sleep 0.2; done
  "$@"
}
FSID=$(cat /proc/sys/kernel/random/uuid)
CONF=$D/ceph.conf
cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MONPORT
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
ms bind msgr2 = false
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd
osd objectstore = memstore
# Memory is taken as objects are written. 4 GiB filled up in the nightly replicas run (2.4 GiB of
# blobs, the chunks they were made of, and what radosgw had not yet collected), and a full OSD
# leaves every request waiting.
memstore device bytes = 10737418240
osd max object size = 1073741824
# The OSD would ask the monitor to place it at start, sometimes before it has the monitor map (and
# then fails with 'wrong fsid'); this script places it in the CRUSH map itself.
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
rgw dns name = 127.0.0.1
# Space of deleted objects (an upload's chunks once its blob is made) back within a minute, not 2 h.
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF
ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --addv a "[v1:127.0.0.1:$MONPORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
ceph-mon -c "$CONF" -i a
for _ in $(seq 300); do ceph -c "$CONF" --connect-timeout 2 mon stat >/dev/null 2>&1 && break; sleep 0.2; done
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
# `osd new` with the same uuid returns the same id, so a retry cannot make a second OSD.
OSD=$(retry ceph -c "$CONF" osd new "$OSD_UUID")
ceph-osd -c "$CONF" -i "$OSD" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -c "$CONF" -i "$OSD"
for _ in $(seq 300); do ceph -c "$CONF" osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.2; done
for i in $(seq 50); do
  ceph -c "$CONF" osd crush add "osd.$OSD" 1 root=default host=localhost >/dev/null 2>&1 && break
  [ "$i" = 50 ] && { echo "cannot place osd.$OSD in the CRUSH map" >&2; exit 1; }
  sleep 0.2
done
radosgw -c "$CONF" -n client.rgw
# Idempotent, so that a retry after a create that did land succeeds.
ensure_user() {
  radosgw-admin -c "$CONF" -n client.rgw user info --uid=berth >/dev/null 2>&1 ||
    radosgw-admin -c "$CONF" -n client.rgw user create --uid=berth --display-name=berth --access-key="$AK" --secret-key="$SK" >/dev/null
}
retry ensure_user
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && exit 0; sleep 0.2; done
echo "radosgw did not start" >&2; tail -20 "$D/client.rgw.log" >&2; exit 1
