#!/usr/bin/env bash
# Scaling: what running several server processes costs or buys on this machine, measured
# with one client setting throughout: one instance; 2 and 3 sharing a port with
# --reuseport; 1, 2 and 3 behind HAProxy in TCP mode. Each cell is the median of RUNS runs,
# in requests per second. docs/SCALING.md holds a run and reads it.
#
#   scripts/scaling.sh [BIN_DIR]      (make scaling)
#
# Knobs (environment): SCALING_RUNS (3), SCALING_ONESHOT (20000 requests, 64 in flight, no
# delay: new connections per second), SCALING_STREAM (300000 requests, 32 connections,
# pipeline 1).
set -euo pipefail

bin=${1:-bin}
runs=${SCALING_RUNS:-3}
oneshot=${SCALING_ONESHOT:-20000}
stream=${SCALING_STREAM:-300000}
tool=scaling
# shellcheck source=scripts/lib/cluster.sh
source "$(dirname "$0")/lib/cluster.sh"
check_setup runs oneshot stream
begin
ensure_haproxy

# The median requests/s of `runs` runs of the client against `port` with the mode's flags.
measure() {  # port, mode
  local port=$1 mode=$2 i rates=()
  local flags=(--requests "$oneshot" --concurrency 64)
  [[ $mode == stream ]] && flags=(--mode stream --requests "$stream" --concurrency 32)
  for (( i = 0; i < runs; i++ )); do
    json=$("$bin/client" --port "$port" "${flags[@]}" --json 2>>"$work/client.err") ||
      fail "a $mode run against port $port had failures: $json"
    rates+=("$(json_field rps "$json")")
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk '{v[NR] = $1} END {printf "%.0f", v[int((NR + 1) / 2)]}'
}

# One row: "layout | oneshot req/s | stream p1 req/s" for `count` instances laid out as `how`.
row() {  # how (direct, reuseport, haproxy), count
  local how=$1 count=$2 port mode cells=()
  for mode in oneshot stream; do
    local delay=(--delay-ms 0 --mode "$mode")
    if [[ $how == reuseport ]]; then
      start_instances 1 "${delay[@]}" --reuseport
      start_instances $(( count - 1 )) "${delay[@]}" --reuseport --port "${server_ports[0]}"
    else
      start_instances "$count" "${delay[@]}"
    fi
    port=${server_ports[0]}
    if [[ $how == haproxy ]]; then start_haproxy; port=$front; fi
    cells+=("$(measure "$port" "$mode")")
    [[ $how == haproxy ]] && stop_haproxy
    stop_instances
  done
  printf '| %s x %d | %s | %s |\n' "$how" "$count" "${cells[0]}" "${cells[1]}"
}

echo "scaling: median of $runs runs each; oneshot: $oneshot requests, 64 in flight, no delay;" \
  "stream: $stream requests, 32 connections, pipeline 1 ($(nproc) cores, $(date -u +%F))"
echo
echo "| layout | oneshot req/s | stream p1 req/s |"
echo "|---|---|---|"
row direct 1
row reuseport 2
row reuseport 3
row haproxy 1
row haproxy 2
row haproxy 3
if (( ${#failures[@]} > 0 )); then
  echo "scaling: FAILED (${#failures[@]} problems)" >&2
  exit 1
fi
