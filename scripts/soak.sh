#!/usr/bin/env bash
# Soak: minutes of mixed load on loopback, good clients and bad peers at once, against two
# servers (one per exchange mode), then the checks of the "Evidence" issue. docs/SOAK.md says
# why each check is sound.
#
#   scripts/soak.sh [BIN_DIR] [BAD_PEER]     (make soak; make soak SANITIZE=address,undefined)
#
#   1. every good request answered correctly: each bin/client run exits 0 with ok == requests;
#   2. every bad peer treated right (bad-peer checks the close, the silence, the timing), and
#      each counted by the server under its own error kind, and nothing else counted;
#   3. each server's open fds back to their baseline once the load is gone;
#   4. each server's RSS flat after warm-up;
#   5. no sanitizer report on any stderr, and each server exits 0 on SIGTERM.
#
# Knobs (environment): SOAK_SECONDS (300), SOAK_IDLE_MS (1500, the servers' idle and write
# timeout), SOAK_SAMPLE_SECONDS (5), SOAK_WARMUP_SECONDS (a fifth of the run, at least 10),
# SOAK_RSS_SLACK_KB (8192) and SOAK_RSS_SLACK_PCT (10): the allowed growth after warm-up is
# the larger of the two, plus SOAK_ASAN_QUARANTINE_MB (16) in an AddressSanitizer build.
set -euo pipefail
# The mechanics shared with scripts/faults.sh: cleanup, probes, servers, lanes' end, common checks.
# shellcheck source-path=SCRIPTDIR source=lib/load_harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/load_harness.sh"

bin=${1:-bin}
bad_peer=${2:-}
if [[ -z "$bad_peer" ]]; then
  bad_peer="$bin/../bad-peer"
  [[ -x "$bad_peer" ]] || bad_peer=build/g++/bad-peer
fi
for program in "$bin/server" "$bin/client" "$bad_peer"; do
  [[ -x "$program" ]] || { echo "soak: $program not found; run make soak" >&2; exit 2; }
done

seconds=${SOAK_SECONDS:-300}
idle_ms=${SOAK_IDLE_MS:-1500}
sample_seconds=${SOAK_SAMPLE_SECONDS:-5}
warmup_seconds=${SOAK_WARMUP_SECONDS:-$(( seconds / 5 > 10 ? seconds / 5 : 10 ))}
rss_slack_kb=${SOAK_RSS_SLACK_KB:-8192}
rss_slack_pct=${SOAK_RSS_SLACK_PCT:-10}
asan_quarantine_mb=${SOAK_ASAN_QUARANTINE_MB:-16}
max_frame=65536     # small, so an oversized header is cheap to send
oneshot_delay_ms=20 # oneshot requests wait a little, so connections overlap
for knob in seconds idle_ms sample_seconds warmup_seconds rss_slack_kb rss_slack_pct \
  asan_quarantine_mb; do
  [[ "${!knob}" =~ ^[0-9]+$ ]] || { echo "soak: $knob wants a whole number" >&2; exit 2; }
done
(( seconds >= 10 && warmup_seconds < seconds )) ||
  { echo "soak: SOAK_SECONDS must be at least 10 and above the warm-up ($warmup_seconds s)" >&2; exit 2; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Under ASan, freed memory waits in a quarantine (256 MB by default) before reuse, and it
# counts in RSS: RSS climbs until the quarantine is full, then moves up and down by about its
# size as large blocks enter and leave it. A small one fills during warm-up, still catches a
# use-after-free of anything freed in the last thousands of connections, and its size is
# added to the RSS slack. LeakSanitizer runs at exit. (Ours come last, so they win.)
rss_noise_kb=0
if grep -a -q -m1 __asan_init "$bin/server"; then
  rss_noise_kb=$(( asan_quarantine_mb * 1024 ))
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=$asan_quarantine_mb:detect_leaks=1"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

harness_setup soak exec_plain  # $work, the servers' and lanes' state, cleanup at any exit

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# The first value of "name" in a JSON line (top level comes before settings).
field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -n 1 | cut -d: -f2 || true; }

# The baseline is taken once every worker has served a connection (round-robin: 3 in a row
# reach all 3), because a worker thread makes its reactor's fds when it starts, which may be
# just after "listening on". Then the count must not move, whatever the load.
warm_up() {  # name, client flags
  local name=$1
  shift
  "$bin/client" --port "${server_port[$name]}" --concurrency 3 "$@" --quiet ||
    { echo "soak: warm-up of the $name server failed" >&2; exit 1; }
  wait_no_connections "$name" 10 || { echo "soak: $name kept its warm-up connections" >&2; exit 1; }
  baseline_fds[$name]=$(fd_count "${server_pid[$name]}")
}

# A lane repeats one kind of run until the deadline, one line per run in $work/NAME.log.
# Its child is stopped with it (a lane is stopped with SIGTERM by cleanup, or by
# finish_lanes past its deadline).
good_lane() {  # name, server, flags of run 1, flags of run 2, ... (cycled)
  local name=$1 server=$2 run=0 child="" status json requests ok asked flags
  shift 2
  local shapes=("$@")
  trap 'stop_child "$child"' TERM
  while (( EPOCHSECONDS < end_time )); do
    flags=${shapes[run % ${#shapes[@]}]}
    run=$((run + 1))
    # shellcheck disable=SC2086  # flags are words
    "$bin/client" --port "${server_port[$server]}" --json $flags >"$work/$name.json" \
      2>>"$work/$name.err" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    json=$(<"$work/$name.json")
    requests=$(field requests "$json") ok=$(field ok "$json")
    asked=$(grep -o '"settings":.*' <<<"$json" | grep -o '"requests":[0-9]*' | cut -d: -f2 || true)
    local line="t=$(( EPOCHSECONDS - start_time )) run=$run exit=$status"
    line+=" requests=${requests:-?} ok=${ok:-?}"
    line+=" connections=$(grep -o '"concurrency":[0-9]*' <<<"$json" | cut -d: -f2 || true)"
    if [[ $status == 0 && -n "$requests" && "$ok" == "$requests" && "$requests" == "$asked" ]]; then
      echo "ok $line"
    else
      echo "FAIL $line flags=[$flags] $(grep -o '"errors_by_kind":{[^}]*}' <<<"$json" || true)"
    fi
  done >>"$work/$name.log"
}

bad_lane() {  # name, server, mode, connections per run, seed
  local name=$1 server=$2 mode=$3 count=$4 seed=$5 run=0 child="" status
  trap 'stop_child "$child"' TERM
  while (( EPOCHSECONDS < end_time )); do
    run=$((run + 1))
    "$bad_peer" --port "${server_port[$server]}" --mode "$mode" --kind mix --count "$count" \
      --max-frame "$max_frame" --idle-timeout-ms "$idle_ms" --seed $((seed + run)) \
      >"$work/$name.out" 2>>"$work/$name.err" &
    child=$!
    status=0
    wait "$child" || status=$?
    child=""
    if [[ $status == 0 ]]; then
      echo "ok $(<"$work/$name.out")"
    else
      echo "FAIL run=$run exit=$status $(<"$work/$name.out")"
    fi
  done >>"$work/$name.log"
}

sample() {  # one line: seconds since start, then RSS (kB) and fds of each server
  echo "$(( EPOCHSECONDS - start_time )) $(rss_kb "${server_pid[oneshot]}")" \
    "$(rss_kb "${server_pid[stream]}") $(fd_count "${server_pid[oneshot]}")" \
    "$(fd_count "${server_pid[stream]}")" >>"$work/samples"
}
# The load's once-a-second hook: a sample every sample_seconds.
sample_when_due() {
  if (( EPOCHSECONDS >= next_sample )); then
    sample
    next_sample=$(( next_sample + sample_seconds ))
  fi
}

# --- start and warm up -------------------------------------------------------------------
start_server oneshot --mode oneshot --delay-ms "$oneshot_delay_ms"
start_server stream --mode stream
warm_up oneshot --requests 3
warm_up stream --mode stream --requests 300
for name in oneshot stream; do
  echo "soak: $name server pid ${server_pid[$name]} port ${server_port[$name]}:" \
    "baseline ${baseline_fds[$name]} fds ($(fd_kinds "${server_pid[$name]}")), RSS" \
    "$(rss_kb "${server_pid[$name]}") kB"
done
echo "soak: ${seconds} s of load, idle timeout ${idle_ms} ms, RSS sampled every" \
  "${sample_seconds} s, warm-up ${warmup_seconds} s (logs: $work)"

# --- the load ----------------------------------------------------------------------------
start_time=$EPOCHSECONDS
end_time=$(( start_time + seconds ))
good_lane good-oneshot oneshot "--requests 2000 --concurrency 64" & lane_pids+=($!)
good_lane good-stream stream \
  "--mode stream --requests 100000 --concurrency 8 --pipeline 16 --size 512" \
  "--mode stream --requests 10000 --concurrency 4 --pipeline 1" & lane_pids+=($!)
for i in 1 2; do
  bad_lane "bad-oneshot-$i" oneshot oneshot 10 $((i * 100000)) & lane_pids+=($!)
  bad_lane "bad-stream-$i" stream stream 12 $((i * 200000)) & lane_pids+=($!)
done

next_sample=$start_time
watch_servers sample_when_due  # until the deadline; a server that dies ends the run
sample

# Each lane ends after its current run, which is bounded (bad-peer: count x (idle + 10 s)).
# A lane still running then is stopped (it stops its run), so that the checks still come.
finish_lanes $(( 12 * (idle_ms / 1000 + 11) ))

# --- checks ------------------------------------------------------------------------------
# 1 and 2: the lanes' own verdicts.
for log in "$work"/good-*.log "$work"/bad-*.log; do
  lane=$(basename "$log" .log)
  if grep -q '^FAIL' "$log"; then
    fail "$lane: $(grep -c '^FAIL' "$log") failed runs, first: $(grep -m1 '^FAIL' "$log")"
    grep -h 'bad-peer: [a-z-]* #' "$work/$lane.err" 2>/dev/null | head -n 5 >&2 || true
  fi
done
for name in oneshot stream; do
  [[ -s "$work/good-$name.log" ]] || fail "good-$name: not a single run"
done
sum_good() {  # lane, field[, only runs that ended at or after this second]
  awk -v f="$2" -v from="${3:-0}" '{
      t = 0; n = 0
      for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) {
        if (kv[1] == "t") t = kv[2]
        if (kv[1] == f) n = kv[2]
      }
      if (t >= from) s += n
    } END {print s + 0}' "$work/$1.log"
}

# 3: fds back to the baseline, once the load is gone (bounded: the idle timeout plus 10 s).
check_fds_back
idle_rss=("$(rss_kb "${server_pid[oneshot]}")" "$(rss_kb "${server_pid[stream]}")")

# 4: RSS flat after warm-up. The samples after the warm-up are cut in thirds: the peak of
# the last third may exceed the peak of the first by at most the slack. Peaks against peaks,
# because RSS under load moves with what is in flight at the instant of the sample; a third
# apart, because then a steady leak has at least a third of the run to show.
rss_verdict() {  # column in samples (2: oneshot, 3: stream); prints "first last limit n"
  awk -v c="$1" -v w="$warmup_seconds" -v kb="$rss_slack_kb" -v pct="$rss_slack_pct" \
    -v noise="$rss_noise_kb" '
    $1 >= w { v[++n] = $c }
    END {
      if (n < 3) { print "none"; exit }
      k = int((n + 2) / 3)
      for (i = 1; i <= k; i++) if (v[i] > first) first = v[i]
      for (i = n - k + 1; i <= n; i++) if (v[i] > last) last = v[i]
      limit = int(first * pct / 100); if (limit < kb) limit = kb
      print first, last, limit + noise, n
    }' "$work/samples"
}
declare -A rss_line=() rss_limit=()
column=2
for name in oneshot stream; do
  read -r first last limit count <<<"$(rss_verdict $column)"
  column=$((column + 1))
  if [[ "$first" == none ]]; then
    fail "$name server: fewer than 3 RSS samples after the warm-up"
    continue
  fi
  rss_limit[$name]=$limit
  rss_line[$name]="peak of the first third of ${count} samples after warm-up ${first} kB,"
  rss_line[$name]+=" of the last third ${last} kB ($(printf %+d $(( last - first ))) kB, limit +${limit} kB)"
  (( last - first <= limit )) ||
    fail "$name server: RSS grew after warm-up: ${rss_line[$name]}"
done

# 5: a graceful stop (each server exits 0 within 30 s of SIGTERM), then the sanitizers'
# verdicts and the server's own error counts.
# shellcheck disable=SC2119  # no hook
stop_servers
check_sanitizer_reports

# The server counts each bad peer under the kind its fault deserves, and nothing else:
# a good client that ended in a server-side error would show up here too.
declare -A expected_kind=([too_long]=oversized [invalid_utf8]=garbage [idle_timeout]=silent
  [reset]=reset [truncated]=truncated [write_timeout]=never-read)
for name in oneshot stream; do
  summary=$(grep -m1 'summary: ' "$work/server-$name.err" || true)
  [[ -n "$summary" ]] || { fail "$name server printed no summary"; continue; }
  errors=${summary##*errors: }
  for kind in $(tr ',' '\n' <<<"$errors" | awk '$1 != "none" {print $1}'); do
    [[ -n "${expected_kind[$kind]:-}" ]] || fail "$name server counted unexpected errors: $errors"
  done
  for kind in "${!expected_kind[@]}"; do
    want=$(sum_bad "$name" "${expected_kind[$kind]}")
    got=$(counted "$name" "$kind")
    (( ${got:-0} == want )) ||
      fail "$name server counted ${got:-0} $kind, bad-peer made $want ${expected_kind[$kind]}"
  done
  connections=$(sed -n 's/.*summary: \([0-9]*\) connections.*/\1/p' <<<"$summary")
  if [[ $name == oneshot ]]; then good=$(sum_good good-oneshot requests); else
    good=$(sum_good good-stream connections); fi
  bad=0
  for kind in oversized garbage silent reset truncated never-read; do
    bad=$(( bad + $(sum_bad "$name" "$kind") ))
  done
  # + 3: the warm-up run (3 connections, one per worker).
  (( connections == good + bad + 3 )) ||
    fail "$name server served $connections connections, expected $good good + $bad bad + 3"
done

# --- report ------------------------------------------------------------------------------
echo
echo "soak report (${seconds} s, binaries in $bin)"
for name in oneshot stream; do
  runs=$(grep -c . "$work/good-$name.log" || true)
  echo "  good $name: $runs runs, $(sum_good "good-$name" ok)/$(sum_good "good-$name" requests)" \
    "requests ok"
done
for name in oneshot stream; do
  echo "  bad  $name: $(bad_totals "$name")"
  echo "  $name server: $(sed -n 's/.*summary: //p' "$work/server-$name.err")"
done
for name in oneshot stream; do
  echo "  fds  $name: baseline ${baseline_fds[$name]}, after the load ${end_fds[$name]}"
done
i=0
for name in oneshot stream; do
  echo "  rss  $name: ${rss_line[$name]:-none}; idle after the load ${idle_rss[$i]} kB"
  i=$((i + 1))
done
# What the limit means: the two windows are at least a third of the post-warm-up work apart,
# so a leak per unit of work above limit / (a third of that work) cannot pass.
third_connections=$(( $(sum_good good-oneshot requests "$warmup_seconds") / 3 ))
third_requests=$(( $(sum_good good-stream requests "$warmup_seconds") / 3 ))
if (( third_connections > 0 && third_requests > 0 )) && [[ -n "${rss_limit[stream]:-}" ]]; then
  echo "  rss sensitivity: a third of the post-warm-up load is ~${third_connections} oneshot" \
    "connections and ~${third_requests} stream requests: a leak above" \
    "$(( rss_limit[oneshot] * 1024 / third_connections )) B per connection or" \
    "$(( rss_limit[stream] * 1024 / third_requests )) B per request fails the check"
fi
echo "  rss samples (s: oneshot kB / stream kB):"
awk '{printf "%s%s: %s/%s", (NR % 6 == 1 ? "    " : "  "), $1, $2, $3; if (NR % 6 == 0) print ""}
  END {if (NR % 6) print ""}' "$work/samples"
echo "  exit on SIGTERM: oneshot ${exit_status[oneshot]}, stream ${exit_status[stream]};" \
  "sanitizer reports: $(sanitizer_report_count)"
verdict
