#!/usr/bin/env bash
# A local 3-master Redis Cluster for development and the cluster benchmarks (loopback only, no persistence).
#
#   scripts/redis-cluster.sh start [DIR]   start 3 masters in DIR (default: a new temp dir), create the
#                                          cluster, wait for cluster_state:ok; prints "dir=DIR" and
#                                          "ports=P1 P2 P3" (the bus ports are P+10000)
#   scripts/redis-cluster.sh stop DIR      stop the masters started in DIR and remove DIR
#
# Needs redis-server and redis-cli (Debian: apt-get install -y redis-server). Ports are picked at random
# in 20000-22767, so that the bus ports (P+10000) stay below Linux's ephemeral range (32768 and up, where
# any outgoing connection may hold a port), and only where no socket uses the port or its bus port.
# A start that still loses a port race is retried (3 attempts).
set -euo pipefail

MASTERS=3
READY_TIMEOUT_SEC=20

die() { echo "redis-cluster.sh: $*" >&2; exit 1; }

in_use() { ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q . ; }

pick_port() {
  local p tries=0
  while (( tries++ < 200 )); do
    p=$(( 20000 + RANDOM % 2768 ))
    if ! in_use "$p" && ! in_use $(( p + 10000 )) && [[ " ${PORTS[*]:-} " != *" $p "* ]]; then
      echo "$p"; return 0
    fi
  done
  die "no free port pair found"
}

start() {
  command -v redis-server >/dev/null || die "redis-server is not installed"
  local attempt
  for attempt in 1 2 3; do
    if ( try_start "${1:-}" ); then return 0; fi
    echo "redis-cluster.sh: start attempt $attempt failed" >&2
  done
  die "could not start a cluster in 3 attempts"
}

try_start() {
  local dir=${1:-$(mktemp -d /tmp/hayate-redis-cluster.XXXXXX)}
  mkdir -p "$dir"
  local p
  PORTS=()
  for _ in $(seq "$MASTERS"); do PORTS+=("$(pick_port)"); done
  for p in "${PORTS[@]}"; do
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
      --cluster-node-timeout 5000 --save '' --appendonly no --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis-$p.pid" --logfile "$dir/redis-$p.log" >/dev/null
  done
  echo "${PORTS[*]}" > "$dir/ports"
  for p in "${PORTS[@]}"; do
    for _ in $(seq 200); do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
    if ! redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; then
      echo "redis-cluster.sh: master on $p did not answer PING within 10 s; its log:" >&2
      tail -20 "$dir/redis-$p.log" >&2 || true
      stop "$dir"; return 1
    fi
  done
  local nodes=()
  for p in "${PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
    || { echo "redis-cluster.sh: cluster create failed: $(tail -5 "$dir/create.log")" >&2; stop "$dir"; return 1; }
  local deadline=$(( SECONDS + READY_TIMEOUT_SEC ))
  for p in "${PORTS[@]}"; do
    until redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; do
      (( SECONDS < deadline )) || { echo "redis-cluster.sh: cluster_state not ok on $p within ${READY_TIMEOUT_SEC}s" >&2; stop "$dir"; return 1; }
      sleep 0.1
    done
  done
  echo "dir=$dir"
  echo "ports=${PORTS[*]}"
}

stop() {
  local dir=${1:-}
  [[ -n "$dir" && -f "$dir/ports" ]] || die "usage: $0 stop DIR (a dir made by start)"
  local p
  for p in $(cat "$dir/ports"); do
    redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
    local pidfile="$dir/redis-$p.pid"
    if [[ -f "$pidfile" ]]; then
      local pid; pid=$(cat "$pidfile")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) die "usage: $0 start [DIR] | stop DIR" ;;
esac
