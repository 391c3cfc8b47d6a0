#!/usr/bin/env bash
# Cluster: several bin/server instances behind HAProxy in TCP mode, driven by bin/client,
# with one instance killed in the middle of the run: HAProxy's health checks mark it down
# and route around it, and the others serve the rest. docs/SCALING.md explains the recipe.
#
#   scripts/cluster.sh [BIN_DIR]      (make cluster-demo)
#
# Checks: every request is accounted for (ok + failed = sent), no more failed than were in
# flight on the killed instance (the client's concurrency bounds that), HAProxy logged the
# instance down, the instances left served requests after the kill and each exits 0 on
# SIGTERM. Everything started here is stopped here, however the script ends.
#
# Knobs (environment): CLUSTER_INSTANCES (3), CLUSTER_REQUESTS (20000), CLUSTER_CONCURRENCY
# (32), CLUSTER_DELAY_MS (5, each request's work), CLUSTER_RETRIES (0: the client's
# --retries; see docs/SCALING.md for what it recovers).
set -euo pipefail

bin=${1:-bin}
instances=${CLUSTER_INSTANCES:-3}
requests=${CLUSTER_REQUESTS:-20000}
concurrency=${CLUSTER_CONCURRENCY:-32}
delay_ms=${CLUSTER_DELAY_MS:-5}
retries=${CLUSTER_RETRIES:-0}
tool=cluster
# shellcheck source=scripts/lib/cluster.sh
source "$(dirname "$0")/lib/cluster.sh"
check_setup instances requests concurrency delay_ms retries
(( instances >= 2 )) || { echo "cluster: CLUSTER_INSTANCES must be at least 2" >&2; exit 2; }
begin
ensure_haproxy
start_instances "$instances" --delay-ms "$delay_ms"
start_haproxy
echo "cluster: $instances instances on ports ${server_ports[*]}; HAProxy on 127.0.0.1:$front"

# --- the run, and the kill in its middle -----------------------------------------------------
"$bin/client" --port "$front" --requests "$requests" --concurrency "$concurrency" \
  --retries "$retries" --json >"$work/client.json" 2>"$work/client.err" &
client_pid=$!
victim=$(( instances ))  # the last one: any would do
served() { sed -n 's/.*summary: \([0-9]*\) connections.*/\1/p' "$work/server-$1.err"; }
sleep 0.5
disown "${server_pids[victim - 1]}"  # its death is the point: no "Killed" from the shell
kill -KILL "${server_pids[victim - 1]}"
echo "cluster: killed instance $victim (pid ${server_pids[victim - 1]}) in the middle of the run"
status=0
timeout 120 tail --pid="$client_pid" -f /dev/null || fail "the client did not finish within 120 s"
wait "$client_pid" || status=$?
client_pid=""
json=$(<"$work/client.json")
ok=$(json_field ok "$json") errors=$(json_field errors "$json") sent=$(json_field requests "$json")

# --- checks --------------------------------------------------------------------------------
(( status <= 1 )) || fail "the client exited $status: $(cat "$work/client.err")"
(( ${sent:-0} == requests && ${ok:-0} + ${errors:-0} == requests )) ||
  fail "requests unaccounted for: sent ${sent:-?}, ok ${ok:-?}, failed ${errors:-?}"
(( ${errors:-0} <= concurrency )) ||
  fail "${errors} failed: more than the $concurrency that can have been in flight on the killed instance"
# Two failed checks 100 ms apart mark it down: within a second, if HAProxy works.
for (( tries = 50; tries > 0; tries-- )); do
  grep -q "Server instances/s$victim is DOWN" "$work/haproxy.log" && break
  sleep 0.1
done
(( tries > 0 )) || fail "HAProxy never marked s$victim down (haproxy.log)"
# The survivors' counts, then their graceful stop.
unset 'server_pids[victim - 1]'
server_pids=("${server_pids[@]}")
stop_instances

echo
echo "cluster report ($instances instances behind HAProxy, one killed mid-run)"
echo "  client: $ok ok, $errors failed of $requests (--retries $retries); $(json_field rps "$json") req/s"
for (( i = 1; i < instances; i++ )); do
  echo "  instance $i: $(served "$i") connections served"
done
echo "  instance $victim: killed; HAProxy said: $(grep -m1 -o "Server instances/s$victim is DOWN, reason: [^,]*" "$work/haproxy.log" || true)"
if (( ${#failures[@]} > 0 )); then
  echo "cluster: FAILED (${#failures[@]} problems)" >&2
  exit 1
fi
echo "cluster: OK"
