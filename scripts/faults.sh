#!/usr/bin/env bash
# Faults: the soak's load (scripts/soak.sh) against two servers, one per exchange mode, with
# the servers and the good clients run under an injected-fault shim (scripts/faults/
# fault_shim.cpp): EINTR, EAGAIN, short reads and writes, connection resets and EMFILE, from
# a seed and a rate. Good requests may fail under faults; nothing may go wrong. docs/SOAK.md,
# "Faults", says why each check is sound.
#
#   scripts/faults.sh BIN_DIR BAD_PEER SHIM EXACT_PEER     (make faults)
#
#   1. every good reply that was delivered is exact: no client run counts a mismatch or a
#      protocol error, and exact-peer finds no wrong byte; and most requests succeed;
#   2. no request answered twice: a oneshot reply is read to the end and must be one
#      greeting; a stream reply must be the echo of the request it answers (field1 numbers
#      them); exact-peer reads on past the last echo owed;
#   3. the bad peers are still treated right, and each server counts no error that neither
#      a fault nor a bad peer explains (its EMFILE back-offs: exactly the EMFILEs injected);
#   4. each server's open fds back to their baseline, and each exits 0 on SIGTERM;
#   5. no sanitizer report, and every kind of fault injected at least once.
#
# Knobs (environment): FAULT_SECONDS (60), FAULT_SEED (1), FAULT_KINDS (the kinds and their
# rates in calls per million, default below), FAULT_IDLE_MS (1500, the servers' idle and
# write timeout), FAULT_MIN_OK_PCT (90: the share of good requests that must succeed).
set -euo pipefail
# The mechanics shared with scripts/soak.sh: cleanup, probes, servers, lanes' end, common checks.
# shellcheck source-path=SCRIPTDIR source=lib/load_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load_harness.sh"

(( $# == 4 )) || { echo "usage: scripts/faults.sh BIN_DIR BAD_PEER SHIM EXACT_PEER" >&2; exit 2; }
bin=$1 bad_peer=$2 shim=$3 exact_peer=$4
for program in "$bin/server" "$bin/client" "$bad_peer" "$exact_peer"; do
  [[ -x "$program" ]] || { echo "faults: $program not found; run make faults" >&2; exit 2; }
done
[[ -f "$shim" ]] || { echo "faults: $shim not found; run make faults" >&2; exit 2; }
shim=$(realpath "$shim")  # LD_PRELOAD is read by programs that run elsewhere

seconds=${FAULT_SECONDS:-60}
seed=${FAULT_SEED:-1}
idle_ms=${FAULT_IDLE_MS:-1500}
# Failed requests are allowed, but a server that stops serving must not pass for one that
# shrugs faults off: this share of the good requests must succeed.
min_ok_pct=${FAULT_MIN_OK_PCT:-90}
# EMFILE costs the server a 50 ms back-off each time, and a reset costs a connection:
# rarer than the faults that cost nothing but a retry.
kinds=${FAULT_KINDS:-eintr=20000,eagain=20000,short=20000,reset=200,emfile=500}
max_frame=65536
oneshot_delay_ms=20
for knob in seconds seed idle_ms min_ok_pct; do
  [[ "${!knob}" =~ ^[0-9]+$ ]] || { echo "faults: $knob wants a whole number" >&2; exit 2; }
done
(( seconds >= 5 )) || { echo "faults: FAULT_SECONDS must be at least 5" >&2; exit 2; }
# A connection must end within the idle timeout plus this slack, whatever was injected.
close_bound_ms=$(( idle_ms + 10000 ))
reply_timeout_ms=10000  # the clients' per-request limit: a stall shows within a run

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# A sanitizer's runtime wants to come first among the libraries; the shim comes before it,
# by design (it wraps what the sanitizer wraps too).
if grep -a -q -m1 __asan_init "$bin/server"; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=1"
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

harness_setup faults exec_server_under_faults  # $work, the shared state, cleanup at any exit
mkdir "$work/reports"

# Runs a program (exec: the caller's pid becomes the program's) under the shim as `role`,
# with `seed`; its fault counts land in $work/reports/ when it exits.
exec_under_faults() {  # role, seed, program and arguments
  local role=$1 run_seed=$2
  shift 2
  exec env LD_PRELOAD="$shim" FAULT_ROLE="$role" FAULT_SEED="$run_seed" FAULT_KINDS="$kinds" \
    FAULT_REPORT="$work/reports" "$@"
}

# The servers' launcher: each server under the shim, as NAME-server, with the run's seed.
exec_server_under_faults() {  # name, program and arguments
  local name=$1
  shift
  exec_under_faults "$name-server" "$seed" "$@"
}

# As in the soak, the baseline is taken once each worker has had a connection (its thread
# has made its reactor's fds by then). The warm-up client runs without faults, but the
# server injects into its connections too, so a failed warm-up request is no failure here.
warm_up() {  # name, client flags
  local name=$1 status=0
  shift
  "$bin/client" --port "${server_port[$name]}" --concurrency 3 "$@" --quiet || status=$?
  (( status <= 1 )) || { echo "faults: warm-up client of the $name server exited $status" >&2; exit 1; }
  wait_no_connections "$name" 10 || { echo "faults: $name kept its warm-up connections" >&2; exit 1; }
  baseline_fds[$name]=$(fd_count "${server_pid[$name]}")
}

# One run of each lane, given its seed. Each ends in exec, so that a lane's child is the
# program itself and the lane's TERM reaches it.
good_oneshot_run() {
  exec_under_faults client "$1" "$bin/client" --port "${server_port[oneshot]}" --json \
    --timeout-ms "$reply_timeout_ms" --requests 2000 --concurrency 64
}
good_stream_run() {  # the soak's two shapes, by turns
  local shape=(--requests 100000 --concurrency 8 --pipeline 16 --size 512)
  (( $1 % 2 )) && shape=(--requests 10000 --concurrency 4 --pipeline 1)
  exec_under_faults client "$1" "$bin/client" --port "${server_port[stream]}" --json \
    --timeout-ms "$reply_timeout_ms" --mode stream "${shape[@]}"
}
exact_run() {
  exec_under_faults exact-peer "$1" "$exact_peer" --port "${server_port[stream]}" \
    --connections 100 --frames 64 --seed $(( $1 % 4294967296 )) --timeout-ms "$close_bound_ms"
}
# The bad peers run without faults: they are the soak's, with its checks of how and when the
# server answers each one, and a fault of their own would only blur what they see.
bad_run() {  # mode, seed
  exec "$bad_peer" --port "${server_port[$1]}" --mode "$1" --kind mix \
    --count "$([[ $1 == oneshot ]] && echo 10 || echo 12)" --max-frame "$max_frame" \
    --idle-timeout-ms "$idle_ms" --seed $(( $2 % 4294967296 ))  # the peers' seeds are 32-bit
}
bad_oneshot_run() { bad_run oneshot "$1"; }
bad_stream_run() { bad_run stream "$1"; }

# A lane repeats one kind of run until the deadline: one line per run in $work/NAME.log,
# "run=N exit=S" and what the run printed on stdout (a JSON line, or a peer's counts).
lane() {  # name, first seed, the function that makes a run
  local name=$1 first_seed=$2 make_run=$3 run=0 child="" status
  trap 'stop_child "$child"' TERM
  while (( EPOCHSECONDS < end_time )); do
    run=$((run + 1))
    "$make_run" $((first_seed + run)) >"$work/$name.out" 2>>"$work/$name.err" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    echo "run=$run exit=$status $(<"$work/$name.out")"
  done >>"$work/$name.log"
}

# --- start and warm up -------------------------------------------------------------------
start_server oneshot --mode oneshot --delay-ms "$oneshot_delay_ms"
start_server stream --mode stream
warm_up oneshot --requests 3
warm_up stream --mode stream --requests 300
for name in oneshot stream; do
  echo "faults: $name server pid ${server_pid[$name]} port ${server_port[$name]}:" \
    "baseline ${baseline_fds[$name]} fds ($(fd_kinds "${server_pid[$name]}"))"
done
echo "faults: ${seconds} s of load, seed ${seed}, kinds ${kinds} (per million calls)," \
  "idle timeout ${idle_ms} ms (logs: $work)"

# --- the load ----------------------------------------------------------------------------
start_time=$EPOCHSECONDS
end_time=$(( start_time + seconds ))
# Seeds far apart, so that no two runs of any lane share one.
lane good-oneshot $(( seed * 1000000 + 100000 )) good_oneshot_run & lane_pids+=($!)
lane good-stream $(( seed * 1000000 + 200000 )) good_stream_run & lane_pids+=($!)
lane exact-stream $(( seed * 1000000 + 300000 )) exact_run & lane_pids+=($!)
for i in 1 2; do
  lane "bad-oneshot-$i" $(( seed * 1000000 + 400000 + i * 10000 )) bad_oneshot_run & lane_pids+=($!)
  lane "bad-stream-$i" $(( seed * 1000000 + 500000 + i * 10000 )) bad_stream_run & lane_pids+=($!)
done

# shellcheck disable=SC2119  # no hook
watch_servers  # until the deadline; a server that dies ends the run

# Each lane ends after its current run, which is bounded (bad-peer: count x (idle + 10 s)).
# A lane still running then is stopped (it stops its run), so that the checks still come.
finish_lanes $(( 12 * (idle_ms / 1000 + 11) ))

# --- checks ------------------------------------------------------------------------------
# Adds up a lane's log in one pass: "runs=N broken=N unfinished=N KEY=SUM ...". A key is
# read as "KEY":N (in a client's JSON line) or as KEY=N (in a peer's counts). `broken` counts
# the runs that exited above 1 (bad usage, a crash) or printed no counts; `unfinished` the
# client runs that did not finish every request in their settings.
add_up() {  # log, keys...
  local log=$1
  shift
  awk -v keys="$*" '
    function num(s, key,   i) {
      if ((i = index(s, "\"" key "\":"))) return substr(s, i + length(key) + 3) + 0
      if ((i = index(s, " " key "="))) return substr(s, i + length(key) + 2) + 0
      return -1
    }
    BEGIN { n = split(keys, k, " ") }
    {
      runs++
      if (num($0, "exit") > 1 || num($0, k[1]) < 0) { broken++; next }
      settings = index($0, "\"settings\":")
      if (settings && num($0, "requests") != num(substr($0, settings), "requests")) unfinished++
      for (i = 1; i <= n; i++) sum[k[i]] += num($0, k[i])
    }
    END {
      printf "runs=%d broken=%d unfinished=%d", runs, broken, unfinished
      for (i = 1; i <= n; i++) printf " %s=%d", k[i], sum[k[i]]
      print ""
    }' "$log"
}
declare -A good=() exact=()
# 1 and 2, bin/client: a run may count failed requests (exit 1), but must finish every
# request it was given and count no mismatch and no protocol error.
for name in oneshot stream; do
  for pair in $(add_up "$work/good-$name.log" requests ok connect timeout read write protocol mismatch); do
    good[$name.${pair%%=*}]=${pair#*=}
  done
  (( good[$name.runs] > 0 )) || fail "good-$name: not a single run"
  (( good[$name.broken] == 0 )) ||
    fail "good-$name: ${good[$name.broken]} client runs crashed or printed no JSON (see good-$name.log)"
  (( good[$name.unfinished] == 0 )) ||
    fail "good-$name: ${good[$name.unfinished]} client runs did not finish their requests"
  for field in mismatch protocol; do
    (( good[$name.$field] == 0 )) ||
      fail "good-$name: ${good[$name.$field]} $field errors (a wrong reply delivered)"
  done
  (( good[$name.ok] * 100 >= good[$name.requests] * min_ok_pct )) ||
    fail "good-$name: only ${good[$name.ok]} of ${good[$name.requests]} requests ok (the floor is ${min_ok_pct} %)"
done

# 1 and 2, exact-peer: connections cut by a reset are allowed, problems are not.
for pair in $(add_up "$work/exact-stream.log" connections exact cut problems); do
  exact[${pair%%=*}]=${pair#*=}
done
(( exact[runs] > 0 )) || fail "exact-stream: not a single run"
(( exact[broken] == 0 )) || fail "exact-stream: ${exact[broken]} runs crashed (see exact-stream.log)"
(( exact[exact] * 100 >= exact[connections] * min_ok_pct )) ||
  fail "exact-peer: only ${exact[exact]} of ${exact[connections]} connections exact (the floor is ${min_ok_pct} %)"
(( exact[problems] == 0 )) ||
  fail "exact-peer: ${exact[problems]} problems, first: $(head -n 1 "$work/exact-stream.err")"

# The faults each process injected, from the shim's reports: "KIND CALL COUNT" lines.
injected() {  # kind, call ("" for every call), report name pattern
  # shellcheck disable=SC2086  # $3 is a glob of report names
  { cat "$work"/reports/$3 2>/dev/null || true; } |
    awk -v k="$1" -v c="$2" '$1 == k && (c == "" || $2 == c) {s += $3} END {print s + 0}'
}

# 3, bad-peer: one ending only may differ from the soak's: a silent peer that the server
# dropped early, because the shim reset its connection. Each needs an injected reset (held
# against the servers' fault reports once they are written, after the stop below).
declare -A early_silent=()
for name in oneshot stream; do
  early_silent[$name]=0
  for log in "$work"/bad-"$name"-*.log; do
    lane=$(basename "$log" .log)
    broken=$(add_up "$log" oversized | awk '{print $2}')
    [[ $broken == broken=0 ]] || fail "$lane: bad-peer runs that crashed: $broken (see $lane.log)"
    [[ -f "$work/$lane.err" ]] || continue
    early=$(grep -c -E '^bad-peer: silent #[0-9]+: closed after [0-9]+ ms, before the idle timeout$' \
      "$work/$lane.err" || true)
    early_silent[$name]=$(( early_silent[$name] + early ))
    other=$(grep -E '^bad-peer: ' "$work/$lane.err" |
      grep -v -E '^bad-peer: silent #[0-9]+: closed after [0-9]+ ms, before the idle timeout$' || true)
    [[ -z "$other" ]] || fail "$lane: $(grep -c . <<<"$other") problems, first: $(head -n 1 <<<"$other")"
  done
done

# 4: fds back to the baseline, once the load is gone (bounded: the idle timeout plus 10 s).
check_fds_back

# 4 and 5: a graceful stop (each server exits 0 within 30 s of SIGTERM, and has written its
# fault report at exit), then the sanitizers.
fault_report_written() {  # name, pid
  [[ -f "$work/reports/$1-server.$2" ]] || fail "$1 server wrote no fault report at exit"
}
stop_servers fault_report_written
check_sanitizer_reports

# 3, the silent peers dropped early (counted above): each needs a reset injected into its
# server, which only the server's fault report says, and that is written at its exit.
for name in oneshot stream; do
  resets=$(injected reset "" "$name-server.*")
  (( early_silent[$name] <= resets )) ||
    fail "$name: ${early_silent[$name]} silent peers dropped early, but only $resets resets injected"
done

# 3, the server's own counts. A fault explains a reset or a broken pipe (a peer's reset
# seen on a send), and EMFILE back-offs, one per EMFILE injected. The rest only a bad peer
# explains, and no more often than that kind of peer came (a fault may end one otherwise).
declare -A bad_kind=([too_long]=oversized [invalid_utf8]=garbage [idle_timeout]=silent
  [truncated]=truncated [write_timeout]=never-read)
for name in oneshot stream; do
  summary=$(grep -m1 'summary: ' "$work/server-$name.err" || true)
  [[ -n "$summary" ]] || { fail "$name server printed no summary"; continue; }
  for kind in $(sed -n 's/.*errors: //p' <<<"$summary" | tr ',' '\n' | awk '$1 != "none" {print $1}'); do
    case $kind in
      reset | broken_pipe | accept_fd_limit) ;;
      *)
        if [[ -z "${bad_kind[$kind]:-}" ]]; then
          fail "$name server counted $(counted "$name" "$kind") $kind: no fault or bad peer explains it"
        elif (( $(counted "$name" "$kind") > $(sum_bad "$name" "${bad_kind[$kind]}") )); then
          fail "$name server counted $(counted "$name" "$kind") $kind, but only" \
            "$(sum_bad "$name" "${bad_kind[$kind]}") ${bad_kind[$kind]} peers came"
        fi
        ;;
    esac
  done
  emfiles=$(injected emfile accept4 "$name-server.*")
  backoffs=$(counted "$name" accept_fd_limit)
  (( emfiles == ${backoffs:-0} )) ||
    fail "$name server backed off ${backoffs:-0} times for $emfiles EMFILEs injected"
done

# 5: every kind of fault, somewhere.
kind_names=(eintr eagain short reset emfile)
for kind in "${kind_names[@]}"; do
  (( $(injected "$kind" "" "*") > 0 )) || fail "no $kind fault was injected"
done

# --- report ------------------------------------------------------------------------------
by_call() {  # kind, report name pattern: "recv 12, send 3" (calls with none left out)
  # shellcheck disable=SC2086  # $2 is a glob of report names
  { cat "$work"/reports/$2 2>/dev/null || true; } | awk -v k="$1" '$1 == k {s[$2] += $3}
    END {for (c in s) if (s[c] > 0) printf "%s%s %d", (n++ ? ", " : ""), c, s[c]}'
}
echo
echo "faults report (${seconds} s, seed ${seed}, binaries in $bin)"
echo "  faults injected (kinds ${kinds}):"
for kind in "${kind_names[@]}"; do
  printf '    %-7s %7d: servers %d (%s); clients %d (%s)\n' "$kind" "$(injected "$kind" "" "*")" \
    "$(injected "$kind" "" "*-server.*")" "$(by_call "$kind" "*-server.*")" \
    "$(( $(injected "$kind" "" "client.*") + $(injected "$kind" "" "exact-peer.*") ))" \
    "$(by_call "$kind" "[ce]*")"
done
echo "  calls seen: $(by_call calls "*")"
for name in oneshot stream; do
  failed=$(( ${good[$name.requests]:-0} - ${good[$name.ok]:-0} ))
  echo "  good $name: ${good[$name.runs]:-0} runs, ${good[$name.ok]:-0}/${good[$name.requests]:-0}" \
    "requests ok, $failed failed (connect ${good[$name.connect]:-0}, read ${good[$name.read]:-0}," \
    "write ${good[$name.write]:-0}, timeout ${good[$name.timeout]:-0});" \
    "mismatch ${good[$name.mismatch]:-0}, protocol ${good[$name.protocol]:-0}"
done
echo "  exact-peer: ${exact[runs]} runs, ${exact[connections]:-0} connections: ${exact[exact]:-0}" \
  "exact, ${exact[cut]:-0} cut by a reset, ${exact[problems]:-0} problems"
for name in oneshot stream; do
  echo "  bad  $name: $(bad_totals "$name")" \
    "(silent peers dropped early by a reset: ${early_silent[$name]})"
  echo "  $name server: $(sed -n 's/.*summary: //p' "$work/server-$name.err")"
done
for name in oneshot stream; do
  echo "  fds  $name: baseline ${baseline_fds[$name]}, after the load ${end_fds[$name]}"
done
echo "  exit on SIGTERM: oneshot ${exit_status[oneshot]}, stream ${exit_status[stream]};" \
  "sanitizer reports: $(sanitizer_report_count)"
verdict
