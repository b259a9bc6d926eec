#!/bin/sh
# Writes this pod's sentinel.conf (Sentinel rewrites its own file, so it lives in an emptyDir) and
# starts the sentinel. Quorum 2 of 3: one lost pod still fails over; a split minority does not.
set -eu
me="$(hostname).callmesh-redis-headless"
cat > /sentinel/sentinel.conf <<CONF
port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $me
sentinel monitor callmesh callmesh-redis-0.callmesh-redis-headless 6379 2
sentinel auth-user callmesh callmesh-sentinel
sentinel auth-pass callmesh $SENTINEL_PASSWORD
sentinel down-after-milliseconds callmesh 5000
sentinel failover-timeout callmesh 60000
sentinel parallel-syncs callmesh 1
CONF
exec redis-sentinel /sentinel/sentinel.conf
