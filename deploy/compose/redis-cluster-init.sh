#!/bin/sh
# Forms docker-compose.ha.yml's Redis Cluster once: three masters, one replica each. Safe to run
# again: a cluster whose state is ok is left alone. redis-cli --cluster create takes addresses, so
# each node's name is resolved here; the nodes announce their names (cluster-announce-hostname), so
# clients and failovers keep working when a container comes back with another address.
set -eu
: "${REDIS_NODES:?REDIS_NODES (host:port list, masters first) is required}"
first="${REDIS_NODES%% *}"
if redis-cli -h "${first%%:*}" -p "${first##*:}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; then
  echo "redis cluster already formed"
  exit 0
fi
addrs=""
for node in $REDIS_NODES; do
  host="${node%%:*}"
  port="${node##*:}"
  tries=0
  until redis-cli -h "$host" -p "$port" ping 2>/dev/null | grep -q PONG; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "redis node $node not answering" >&2; exit 1; }
    sleep 1
  done
  ip="$(getent hosts "$host" | awk '{print $1}')"
  addrs="$addrs $ip:$port"
done
# shellcheck disable=SC2086 # one argument per node
redis-cli --cluster create $addrs --cluster-replicas 1 --cluster-yes
tries=0
until redis-cli -h "${first%%:*}" -p "${first##*:}" cluster info | grep -q '^cluster_state:ok'; do
  tries=$((tries + 1))
  [ "$tries" -lt 60 ] || { echo "redis cluster not ok after 60 s" >&2; exit 1; }
  sleep 1
done
echo "redis cluster formed:$addrs"
