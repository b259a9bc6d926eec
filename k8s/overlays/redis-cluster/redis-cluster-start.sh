#!/bin/sh
# Starts one node of the Redis Cluster. It announces its stable DNS name (the headless Service),
# not its pod IP, so clients and the other nodes find it again after a reschedule; nodes.conf on
# the PersistentVolume keeps its identity and the cluster's shape across restarts. Every node
# loads the same ACL users. The arguments are redis-server options (the StatefulSet lists them).
set -eu
me="$(hostname).callmesh-redis-headless"
exec redis-server "$@" --aclfile /etc/redis-acl/users.acl \
  --cluster-enabled yes --cluster-config-file /data/nodes.conf --cluster-node-timeout 5000 \
  --cluster-announce-hostname "$me" --cluster-preferred-endpoint-type hostname \
  --masteruser callmesh-replica --masterauth "$REPLICA_PASSWORD"
