#!/usr/bin/env bash
# Starts and stops the Redis topologies the cluster suites run against, on loopback only:
#   cluster [BASE]          a 3-master Redis Cluster with one replica each, ports BASE..BASE+5 (7101)
#   sentinel [BASE] [SBASE] a primary on BASE, its replica on BASE+1 (6390), three sentinels on
#                           SBASE..SBASE+2 (26390), watching the primary under the name "chat"
#   all                     both, on their default ports
# Usage: redis-topologies.sh start|stop|status cluster|sentinel|all [ports...]
# Starting is a no-op when the topology already answers. Every node's config, pid and log file is
# under $REDIS_TOPOLOGY_DIR (/tmp/chat-redis-topologies)/<topology>-<BASE>/, so a killed node is
# restarted with `redis-server <dir>/<port>.conf` (a sentinel with `--sentinel`).
set -euo pipefail

ROOT="${REDIS_TOPOLOGY_DIR:-/tmp/chat-redis-topologies}"
# Failure detection in 2 s: a killed master is replaced within a few seconds.
NODE_TIMEOUT_MS=2000

ping_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; }

wait_for() {
  local what="$1" tries="$2"
  shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@"; then return 0; fi
    sleep 0.5
  done
  echo "redis-topologies: timed out waiting for $what" >&2
  return 1
}

stop_port() {
  local dir="$1" port="$2"
  if [ -f "$dir/$port.pid" ] && kill -0 "$(cat "$dir/$port.pid")" 2>/dev/null; then
    kill -9 "$(cat "$dir/$port.pid")" 2>/dev/null || true
  fi
  # A replica's full sync leaves an RDB behind: a node restarted on it is not empty, and
  # `--cluster create` refuses it. Nothing here is meant to outlive its topology.
  rm -f "$dir/$port.pid" "$dir/$port.rdb" "$dir/dump.rdb"
}

node_conf() {
  local dir="$1" port="$2"
  cat >"$dir/$port.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
save ""
appendonly no
dir $dir
dbfilename $port.rdb
pidfile $dir/$port.pid
logfile $dir/$port.log
EOF
}

cluster_ok() {
  local port
  for port in "$@"; do
    redis-cli -h 127.0.0.1 -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

cluster_start() {
  local base="${1:-7101}" dir ports port
  dir="$ROOT/cluster-$base"
  ports=$(seq "$base" $((base + 5)))
  # shellcheck disable=SC2086
  if cluster_ok $ports 2>/dev/null; then return 0; fi
  cluster_stop "$base"
  mkdir -p "$dir"
  for port in $ports; do
    node_conf "$dir" "$port"
    cat >>"$dir/$port.conf" <<EOF
cluster-enabled yes
cluster-config-file $dir/nodes-$port.conf
cluster-node-timeout $NODE_TIMEOUT_MS
cluster-replica-validity-factor 0
cluster-require-full-coverage no
EOF
    redis-server "$dir/$port.conf" 9>&-
  done
  for port in $ports; do wait_for "Redis on $port" 40 ping_ok "$port"; done
  # shellcheck disable=SC2046
  redis-cli --cluster create $(for port in $ports; do printf '127.0.0.1:%s ' "$port"; done) \
    --cluster-replicas 1 --cluster-yes >"$dir/create.log"
  # shellcheck disable=SC2086
  wait_for "cluster_state:ok on $base-$((base + 5))" 120 cluster_ok $ports
  echo "Redis Cluster on 127.0.0.1:$base-$((base + 5))"
}

cluster_stop() {
  local base="${1:-7101}" dir port
  dir="$ROOT/cluster-$base"
  for port in $(seq "$base" $((base + 5))); do
    stop_port "$dir" "$port"
    rm -f "$dir/nodes-$port.conf"
  done
}

sentinel_ok() {
  local base="$1" sbase="$2" port
  ping_ok "$base" && ping_ok $((base + 1)) || return 1
  for port in $(seq "$sbase" $((sbase + 2))); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" sentinel get-master-addr-by-name chat 2>/dev/null | wc -l)" = "2" ] || return 1
  done
  sentinels_ready "$sbase"
}

replica_synced() { redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null | grep -q '^master_link_status:up'; }

# Each sentinel sees the replica and the two other sentinels: only then can they agree on a failover.
sentinels_ready() {
  local sbase="$1" port
  for port in $(seq "$sbase" $((sbase + 2))); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" sentinel replicas chat 2>/dev/null | grep -c '^name$')" -ge 1 ] || return 1
    [ "$(redis-cli -h 127.0.0.1 -p "$port" sentinel sentinels chat 2>/dev/null | grep -c '^name$')" -ge 2 ] || return 1
  done
}

sentinel_start() {
  local base="${1:-6390}" sbase="${2:-26390}" dir port
  dir="$ROOT/sentinel-$base"
  if sentinel_ok "$base" "$sbase" 2>/dev/null; then return 0; fi
  sentinel_stop "$base" "$sbase"
  mkdir -p "$dir"
  node_conf "$dir" "$base"
  node_conf "$dir" $((base + 1))
  echo "replicaof 127.0.0.1 $base" >>"$dir/$((base + 1)).conf"
  redis-server "$dir/$base.conf" 9>&-
  redis-server "$dir/$((base + 1)).conf" 9>&-
  wait_for "Redis on $base" 40 ping_ok "$base"
  wait_for "replica on $((base + 1)) in sync" 60 replica_synced $((base + 1))
  for port in $(seq "$sbase" $((sbase + 2))); do
    cat >"$dir/$port.conf" <<EOF
port $port
bind 127.0.0.1
daemonize yes
dir $dir
pidfile $dir/$port.pid
logfile $dir/$port.log
sentinel monitor chat 127.0.0.1 $base 2
sentinel down-after-milliseconds chat $NODE_TIMEOUT_MS
sentinel failover-timeout chat 10000
sentinel parallel-syncs chat 1
EOF
    redis-server "$dir/$port.conf" --sentinel 9>&-
  done
  wait_for "sentinels on $sbase-$((sbase + 2))" 60 sentinel_ok "$base" "$sbase"
  wait_for "sentinels seeing the replica and each other" 60 sentinels_ready "$sbase"
  echo "Redis Sentinel: primary 127.0.0.1:$base, replica $((base + 1)), sentinels $sbase-$((sbase + 2))"
}

sentinel_stop() {
  local base="${1:-6390}" sbase="${2:-26390}" dir port
  dir="$ROOT/sentinel-$base"
  for port in $(seq "$sbase" $((sbase + 2))) "$base" $((base + 1)); do stop_port "$dir" "$port"; done
}

action="${1:-}"
topology="${2:-all}"
shift 2 || true
if [ "$action" = start ] && ! command -v redis-server >/dev/null; then
  echo "redis-topologies: redis-server is not on the PATH: install Redis (Debian/Ubuntu: apt-get install redis-server)" >&2
  exit 1
fi
# Test workers may start the same topology at once: one at a time.
mkdir -p "$ROOT"
exec 9>"$ROOT/.lock"
flock 9
case "$action:$topology" in
  start:cluster) cluster_start "$@" ;;
  start:sentinel) sentinel_start "$@" ;;
  start:all) cluster_start && sentinel_start ;;
  stop:cluster) cluster_stop "$@" ;;
  stop:sentinel) sentinel_stop "$@" ;;
  stop:all) cluster_stop && sentinel_stop ;;
  status:cluster) cluster_ok $(seq "${1:-7101}" $((${1:-7101} + 5))) ;;
  status:sentinel) sentinel_ok "${1:-6390}" "${2:-26390}" ;;
  status:all) cluster_ok $(seq 7101 7106) && sentinel_ok 6390 26390 ;;
  *)
    echo "usage: $0 start|stop|status cluster|sentinel|all [ports...]" >&2
    exit 2
    ;;
esac
