#!/bin/sh
# Makes the six Redis pods one cluster of three masters with a replica each, once: a cluster that
# already exists (the Job re-run, pods restarted) is left as it is. Waits (bounded) for every pod.
set -eu
cli() { redis-cli --user callmesh-admin --pass "$ADMIN_PASSWORD" --no-auth-warning "$@"; }
nodes=""
for i in 0 1 2 3 4 5; do
  host="callmesh-redis-$i.callmesh-redis-headless"
  tries=0
  until [ "$(cli -h "$host" -p 6379 ping 2>/dev/null)" = PONG ]; do
    tries=$((tries + 1))
    [ "$tries" -le 120 ] || { echo "$host does not answer after 240 s" >&2; exit 1; }
    sleep 2
  done
  # redis-cli --cluster create wants addresses; the nodes announce their names themselves.
  ip=$(getent hosts "$host" | awk '{print $1; exit}')
  nodes="$nodes $ip:6379"
done
known=$(cli -h callmesh-redis-0.callmesh-redis-headless -p 6379 cluster info | tr -d '\r' |
  awk -F: '$1 == "cluster_known_nodes" {print $2}')
if [ "${known:-1}" -gt 1 ]; then
  echo "cluster exists ($known nodes known): nothing to do"
  exit 0
fi
# shellcheck disable=SC2086
cli --cluster create $nodes --cluster-replicas 1 --cluster-yes
