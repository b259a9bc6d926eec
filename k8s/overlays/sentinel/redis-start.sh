#!/bin/sh
# Starts one Redis of the Sentinel-managed set. The primary is whoever the sentinels name; on the
# very first start (no sentinel answers yet) callmesh-redis-0 is the primary and the others follow
# it. Every server loads the same ACL users, so a promoted replica knows them all.
# The arguments are redis-server options (the StatefulSet lists them: AOF, memory policy).
set -eu
me="$(hostname).callmesh-redis-headless"
primary=$(redis-cli -h callmesh-redis-sentinel -p 26379 sentinel get-master-addr-by-name callmesh 2>/dev/null | head -n 1 || true)
if [ -z "$primary" ]; then
  primary="callmesh-redis-0.callmesh-redis-headless"
fi
set -- redis-server "$@" --aclfile /etc/redis-acl/users.acl \
  --masteruser callmesh-replica --masterauth "$REPLICA_PASSWORD" \
  --replica-announce-ip "$me" --min-replicas-to-write 1 --min-replicas-max-lag 10
case "$primary" in
  "$me"|"$(hostname)"*) exec "$@" ;;
  *) exec "$@" --replicaof "$primary" 6379 ;;
esac
