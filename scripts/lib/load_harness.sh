# shellcheck shell=bash
# The mechanics scripts/soak.sh and scripts/faults.sh share, sourced by both: their state and
# their cleanup, the process and fd probes, starting a server and watching it during the load,
# ending the load lanes, and the three checks both make alike (fds back to the baseline, a
# clean stop on SIGTERM, no sanitizer report), with the helpers that read the servers' and the
# bad peers' logs. Each script keeps its own load, its own other checks and its own report;
# docs/SOAK.md says why each check is sound.
#
# The sourcing script sets bin (the folder of bin/server), idle_ms and max_frame (the
# servers' flags) before start_server, and end_time (the EPOCHSECONDS at which the lanes stop
# starting runs) before the load. Its lanes log to $work/NAME.log, the bad ones as
# bad-SERVER-N, and write their stderr to $work/NAME.err.
# shellcheck disable=SC2154  # bin, idle_ms, max_frame, end_time: the sourcing script's

# Makes the work folder and the state the functions below share, and has cleanup run at any
# exit: the name heads every message and names the folder, and the launcher starts each
# server (exec_plain, or the script's own, say under a shim).
harness_setup() {  # script name, server launcher
  harness=$1
  server_launcher=$2
  work=$(mktemp -d "${TMPDIR:-/tmp}/$harness.XXXXXX")
  declare -gA server_pid=() server_port=() baseline_fds=() end_fds=() idle_sockets=() \
    exit_status=()
  server_names=()   # in the order they were started
  server_stdout=()  # the pipes the servers' "listening on" lines came through
  lane_pids=()
  failures=()
  trap cleanup EXIT
  trap 'keep=1; exit 130' INT TERM
}

# Everything started here is stopped here, whatever the exit: lanes first (each stops its
# own child), then the servers, SIGKILL if they ignore SIGTERM for 10 s. The logs stay on a
# failure or an interruption, so that there is something to read.
cleanup() {
  local pid
  for pid in "${lane_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${lane_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pid in "${server_pid[@]}"; do
    if running "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if (( ${#failures[@]} == 0 )) && [[ -z "${keep:-}" ]]; then
    rm -rf "$work"
  else
    echo "$harness: logs kept in $work" >&2
  fi
}

# Records a failed check and says so at once; the verdict lists them all again at the end.
fail() { failures+=("$*"); echo "$harness: FAIL: $*" >&2; }

# A process substitution's child is a zombie until waited for, so "gone" means no /proc
# entry or state Z.
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}
# Waits (bounded) for a process to end, polling, since it may not be our child to wait for.
wait_exit() {  # pid, seconds: true if it ended in time
  local tries=$(( $2 * 10 ))
  while running "$1" && (( tries-- > 0 )); do sleep 0.1; done
  ! running "$1"
}

# A process's open fds, from /proc: what the fd checks count.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# "eventfd 4, eventpoll 4, file 3, pipe 2, socket 3": what a count is made of, so that a
# mismatch says what leaked.
fd_kinds() {
  find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
    sed -E 's/^(socket|pipe):.*/\1/; s/^anon_inode:\[?([a-z_]+)\]?.*/\1/; s#^/.*#file#' |
    sort | uniq -c | awk '{printf "%s%s %d", sep, $2, $1; sep = ", "}'
}
# A process's open sockets: its listener, its shutdown signal's pair, and its connections.
socket_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l; }

# The plain launcher: the server as it is. A launcher execs, so that the pid start_server
# records is the server's own.
exec_plain() {  # name, program and arguments
  shift
  exec "$@"
}

# Starts a server on port 0 through the launcher and reads its port from its "listening on"
# line; its stderr goes to $work/server-NAME.err. A server that does not start ends the run.
start_server() {  # name, then server flags
  local name=$1 fd ready
  shift
  # The new server must not inherit the pipe of the one before (its fds are what we count).
  exec {fd}< <(for other in "${server_stdout[@]}"; do exec {other}<&-; done
    "$server_launcher" "$name" "$bin/server" --port 0 --idle-timeout-ms "$idle_ms" \
      --max-frame "$max_frame" --grace-ms 5000 --log-level info "$@" 2>"$work/server-$name.err")
  server_pid[$name]=$!
  server_names+=("$name")
  if ! read -r -t 20 ready <&"$fd"; then
    cat "$work/server-$name.err" >&2
    echo "$harness: the $name server did not start" >&2
    exit 1
  fi
  # The pipe stays open until the script exits: a server writing to a closed stdout would die
  # of SIGPIPE.
  server_stdout+=("$fd")
  # shellcheck disable=SC2034  # the scripts' lanes read the port
  server_port[$name]=${ready##*:}
  # The sockets a server holds with no connection: its listener, its shutdown signal's
  # socket pair and the signal handler's duplicate, all open before it says it listens.
  idle_sockets[$name]=$(socket_count "${server_pid[$name]}")
}

# Waits (bounded) until the server holds no connection, only the sockets it started with.
wait_no_connections() {  # name, seconds
  local pid=${server_pid[$1]} idle=${idle_sockets[$1]} tries=$(( $2 * 10 ))
  while (( $(socket_count "$pid") > idle && tries-- > 0 )); do sleep 0.1; done
  (( $(socket_count "$pid") <= idle ))
}

# A lane's TERM trap: its run is stopped and reaped with it (no zombie left behind).
stop_child() {
  if [[ -n "$1" ]]; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
  exit 143
}

# Until end_time, once a second: the hook (if one is given: the soak samples there), then
# whether every server still runs. A server that died ends the run at once, with the end of
# its stderr: a sanitizer's report kills it (-fno-sanitize-recover=all) and would be there.
watch_servers() {  # [hook]
  local name
  while (( EPOCHSECONDS < end_time )); do
    if [[ -n "${1:-}" ]]; then "$1"; fi
    for name in "${server_names[@]}"; do
      if ! running "${server_pid[$name]}"; then
        tail -n 40 "$work/server-$name.err" >&2
        fail "the $name server died during the load (its stderr ends above)"
        exit 1
      fi
    done
    sleep 1
  done
}

# Waits for each lane to end after its current run, up to a deadline that bounds the longest
# run. A lane still running then is a failure, and is stopped (its trap stops its run), so
# that the checks and the report still come: waiting for it could hang the run for ever.
finish_lanes() {  # seconds from now
  local pid lane_deadline=$(( EPOCHSECONDS + $1 ))
  for pid in "${lane_pids[@]}"; do
    while running "$pid" && (( EPOCHSECONDS < lane_deadline )); do sleep 0.2; done
    if running "$pid"; then
      fail "a load lane (pid $pid) did not finish its last run in time"
      kill -TERM "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  lane_pids=()
}

# Each server's fds back to its baseline, once the load is gone: waited for (bounded: the idle
# timeout plus 10 s), since the server closes a connection after its peer has gone.
check_fds_back() {
  local name pid tries
  for name in "${server_names[@]}"; do
    pid=${server_pid[$name]}
    tries=$(( (idle_ms / 1000 + 10) * 10 ))
    while (( $(fd_count "$pid") != baseline_fds[$name] && tries-- > 0 )); do sleep 0.1; done
    end_fds[$name]=$(fd_count "$pid")
    (( end_fds[$name] == baseline_fds[$name] )) ||
      fail "$name server: ${end_fds[$name]} fds open after the load, baseline ${baseline_fds[$name]}" \
        "(now: $(fd_kinds "$pid"))"
  done
}

# A graceful stop: SIGTERM to every server, then each must exit 0 within 30 s (it prints its
# summary on the way out). The hook, if given, is called with each server's name and pid once
# it has exited (faults checks its fault report there).
stop_servers() {  # [hook]
  local name pid
  for name in "${server_names[@]}"; do kill -TERM "${server_pid[$name]}"; done
  for name in "${server_names[@]}"; do
    pid=${server_pid[$name]}
    wait_exit "$pid" 30 || { fail "$name server ignored SIGTERM for 30 s"; kill -KILL "$pid"; }
    exit_status[$name]=0
    wait "$pid" || exit_status[$name]=$?
    (( exit_status[$name] == 0 )) || fail "$name server exited ${exit_status[$name]} on SIGTERM"
    if [[ -n "${1:-}" ]]; then "$1" "$name" "$pid"; fi
  done
  server_pid=()
}

# Any sanitizer's report on any stderr (servers, clients, peers) fails the run; LeakSanitizer
# reports at each process's exit, so this comes after the servers' stop.
sanitizer_pattern='ERROR: AddressSanitizer|runtime error:|WARNING: ThreadSanitizer|LeakSanitizer'
check_sanitizer_reports() {
  local file
  for file in "$work"/*.err; do
    if grep -E -q "$sanitizer_pattern" "$file"; then
      fail "sanitizer report in $(basename "$file"): $(grep -E -m1 "$sanitizer_pattern" "$file")"
    fi
  done
}
# How many report lines there are in all, for the report.
sanitizer_report_count() {
  grep -E -c "$sanitizer_pattern" "$work"/*.err | awk -F: '{s += $2} END {print s + 0}'
}

# How many errors of one kind a server counted, from its summary line at exit, so that the
# scripts can hold the server's counts against what the peers and faults did.
counted() {  # name, kind: from "summary: ...; errors: too_long 3, reset 2"
  sed -n 's/.*summary: .*errors: //p' "$work/server-$1.err" | tr ',' '\n' |
    awk -v k="$2" '$1 == k {print $2}' | head -n 1
}
# How many bad peers of one kind came to a server, summed over its bad lanes' logs.
sum_bad() {  # server, kind
  cat "$work"/bad-"$1"-*.log | awk -v k="$2" '{for (i = 1; i <= NF; i++)
    if (split($i, kv, "=") == 2 && kv[1] == k) s += kv[2]} END {print s + 0}'
}
# "reset=40 silent=40 ...": every kind of bad peer that came to a server, for the report.
bad_totals() {  # server
  cat "$work"/bad-"$1"-*.log | awk '
    {for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) s[kv[1]] += kv[2]}
    END {for (k in s) if (k ~ /^[a-z-]+$/ && k != "run" && k != "exit") printf "%s=%d ", k, s[k]}'
}

# The end: every failed check again and exit 1, or "NAME: OK".
verdict() {
  if (( ${#failures[@]} > 0 )); then
    echo "$harness: FAILED (${#failures[@]} problems):" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
  fi
  echo "$harness: OK"
}
