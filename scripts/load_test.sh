#!/usr/bin/env bash
# Load test: runs the server and the bundled client through a bounded matrix of workloads
# on loopback and prints one table row per workload: wall time, requests/s, latency
# percentiles, the server's CPU seconds and peak RSS, and the client's CPU seconds.
#
#   scripts/load_test.sh [BIN_DIR]        (default bin/; build with make first)
#
# Rows (each bounded in count and time):
#   book        4,000 oneshot requests, 1 s of work each, all in flight (the book's demo)
#   10k         10,000 oneshot requests, 1 s of work each, all in flight
#   connect     20,000 oneshot requests, no work, 64 at a time: new connections per second
#   stream-p1   200,000 stream requests over 32 connections, one in flight per connection
#   stream-p16  1,000,000 stream requests over 32 connections, 16 pipelined per connection
set -euo pipefail

bin=${1:-bin}
for program in server client; do
  [[ -x "$bin/$program" ]] || { echo "load_test: $bin/$program not found; run make first" >&2; exit 2; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ticks=$(getconf CLK_TCK)
server_pid=""
trap '[[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null; true' EXIT

field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }
cpu_seconds() { awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
peak_rss_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

row() {
  local name=$1 server_flags=$2 client_flags=$3
  exec 3< <(exec "$bin/server" --port 0 --log-level error $server_flags 2>/dev/null)
  server_pid=$!
  local ready
  read -r -t 10 ready <&3 || { echo "load_test: server did not start" >&2; exit 1; }
  local port=${ready##*:}
  local start_cpu json client_cpu
  start_cpu=$(cpu_seconds "$server_pid")
  local timing
  timing=$(mktemp)
  json=$(/usr/bin/time -f "%U %S" -o "$timing" "$bin/client" --port "$port" --json $client_flags || true)
  client_cpu=$(awk '{printf "%.2f", $1 + $2}' "$timing")
  rm -f "$timing"
  local server_cpu rss
  server_cpu=$(awk -v a="$(cpu_seconds "$server_pid")" -v b="$start_cpu" 'BEGIN {printf "%.2f", a - b}')
  rss=$(peak_rss_mb "$server_pid")
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  exec 3<&-
  printf "%-11s %16s %9s %10s %9s %9s %10s %7s %10s\n" "$name" \
    "$(field ok "$json")/$(field requests "$json")" "$(field wall_s "$json")" \
    "$(field rps "$json")" "$(field p50_us "$json")" "$(field p99_us "$json")" \
    "$server_cpu" "$rss" "$client_cpu"
}

printf "%-11s %16s %9s %10s %9s %9s %10s %7s %10s\n" row ok/requests wall_s req/s p50_us \
  p99_us server_cpu rss_mb client_cpu
row book "--delay-ms 1000" "--requests 4000"
row 10k "--delay-ms 1000" "--requests 10000"
row connect "--delay-ms 0" "--requests 20000 --concurrency 64"
row stream-p1 "--mode stream" "--mode stream --requests 200000 --concurrency 32 --pipeline 1"
row stream-p16 "--mode stream" "--mode stream --requests 1000000 --concurrency 32 --pipeline 16"
