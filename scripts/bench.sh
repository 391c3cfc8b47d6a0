#!/usr/bin/env bash
# The benchmark suite: runs bin/server and bin/client through a bounded matrix of workloads
# on loopback, then the same workloads against the floor tools, then a concurrency sweep, and
# writes what it measured to files a script can read (the charts are drawn from them by
# svg-chart; `make bench` does both).
#
#   scripts/bench.sh [--bin DIR] [--floor-bin DIR] [--out DIR] [--rows a,b,...] [--repeat N]
#                    [--no-floor] [--no-sweep] [--quick]
#
#   --bin DIR        where server and client are (default bin/; build them with make first)
#   --floor-bin DIR  where floor-server and floor-client are (default build/<compiler>,
#                    where make puts them whatever the POLLER)
#   --out DIR        where the results go (default build/bench/)
#   --rows           run only these rows of the matrix, and of the floor (default: all of
#                    them, in this order; '' for none, to run the sweep alone)
#   --repeat N       run each row, floor pairing and sweep point N times and keep the run with
#                    the median req/s (default 3; 1 to 9). Its req/s range over the N runs is
#                    kept beside it.
#   --no-floor       skip the floor
#   --no-sweep       skip the concurrency sweep
#   --quick          a tenth of every count, one run each, 1 s of idle: a smoke test only
#
# Rows (each bounded by its count, and by a time limit on the client):
#   book            4,000 oneshot requests, 1 s of work each, all in flight (the book's demo)
#   book-busy-poll  the same, with the server's workers on the book's busy-polling policy
#   10k             10,000 oneshot requests, 1 s of work each, all in flight
#   10k-fused       the same, served by the hand-fused oneshot handler (--handler fused)
#   connect         20,000 oneshot requests, no work, 64 at a time: new connections per second
#   stream-p1       200,000 stream requests over 32 connections, one in flight on each
#   stream-p16      1,000,000 stream requests over 32 connections, 16 pipelined on each
#   idle            a server sent nothing for 5 s: its CPU seconds (run once)
#   idle-busy-poll  the same, with the workers on the book's busy-polling policy: they park
#                   too when no connection is open, as the book's do
# Floor (docs/BENCHMARKS.md, "The floor"): rows book, 10k, connect, stream-p1 and stream-p16 again,
# with the same flags, in four pairings: floor-server with floor-client, our server with
# floor-client, floor-server with our client, ours with ours. The floor tools (scripts/floor/)
# do the least work the protocol allows on one thread each, so on a machine that changes from
# day to day they show in the same run how far our server and our client are from that
# least. Ours run one thread a side here too (--workers 1, --threads 1): like for like.
# Sweep: stream mode, pipeline 1, 30,000 requests at each concurrency 1, 2, 4, ..., 64, all
# against one server.
#
# Files in the --out folder (tab-separated, one header line, "-" where a column does not
# apply; latencies in microseconds):
#   results.tsv   a line per row: wall_s rps p50_us .. server_cpu_s server_rss_mb client_cpu_s
#   sweep.tsv     a line per sweep point: concurrency rps p50_us .. server_cpu_s
#   table.md      results.tsv as the Markdown table docs/BENCHMARKS.md shows
#   floor.tsv     a line per floor row and pairing: row pairing server client ok requests
#                 wall_s rps server_cpu_s client_cpu_s runs rps_min rps_max
#   floor.md      the floor as a Markdown table: a line per row, the four pairings, three ratios
#   machine.txt   the machine, the compiler, the commit and the load average
#   logs/         each server's stderr and each client's JSON line, to look into a bad row
#
# Server CPU is the growth of utime + stime in /proc/PID/stat across the client's run; peak
# RSS is VmHWM from /proc/PID/status; client CPU is what bash's `times` says its children
# used across the run. Every server is stopped on the way out, however the script ends.
set -euo pipefail

bin=bin
floor_bin="build/$(basename "${CXX:-g++}")"  # make's object folder for this CXX (any POLLER)
out=build/bench
only=""
repeat=""
floor=1
sweep=1
quick=0
while (($# > 0)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --floor-bin) floor_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --rows) only=",$2,"; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --no-floor) floor=0; shift ;;
    --no-sweep) sweep=0; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench: unknown option '$1' (try --help)" >&2; exit 2 ;;
    *) bin=$1; shift ;;  # a bare folder, as scripts/load_test.sh always took
  esac
done
readonly all_rows=",book,book-busy-poll,10k,10k-fused,connect,stream-p1,stream-p16,idle,idle-busy-poll,"
for row in ${only//,/ }; do
  [[ "$all_rows" == *",$row,"* ]] || { echo "bench: no row '$row' (rows:${all_rows//,/ })" >&2; exit 2; }
done
: "${repeat:=$( ((quick)) && echo 1 || echo 3)}"
[[ "$repeat" =~ ^[1-9]$ ]] || { echo "bench: --repeat wants 1 to 9, not '$repeat'" >&2; exit 2; }
for program in server client; do
  [[ -x "$bin/$program" ]] || { echo "bench: $bin/$program not found; run make first" >&2; exit 2; }
done
readonly floor_rows=(book 10k connect stream-p1 stream-p16)
floor_wanted=0  # the floor is on and --rows leaves it a row to run
if ((floor)); then
  for row in "${floor_rows[@]}"; do
    [[ -z "$only" || "$only" == *",$row,"* ]] && floor_wanted=1
  done
fi
if ((floor_wanted)); then
  for program in floor-server floor-client; do
    [[ -x "$floor_bin/$program" ]] || {
      echo "bench: $floor_bin/$program not found; run make floor first (or --no-floor)" >&2
      exit 2
    }
  done
fi

# 10,000 sockets on each side: lift the soft limit on open files to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ticks=$(getconf CLK_TCK)
readonly client_limit_s=180  # per client run: far beyond a healthy row, even on a busy box
mkdir -p "$out/logs"
scratch=$(mktemp -d)

server_pid=""
client_pid=""
# Stops the server: SIGTERM (graceful) and, if it has not gone within 5 s, SIGKILL.
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in {1..50}; do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  exec 3<&-
}
cleanup() {
  # timeout(1) passes the TERM on to the client it watches.
  [[ -n "$client_pid" ]] && kill -TERM "$client_pid" 2>/dev/null
  stop_server
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

# A count, or a tenth of it with --quick.
n() { ((quick)) && echo $(($1 / 10)) || echo "$1"; }

# Each load row's server and client flags: the matrix runs them, and the floor again.
declare -A row_server=(
  [book]="--delay-ms 1000"
  [book-busy-poll]="--delay-ms 1000 --busy-poll"
  [10k]="--delay-ms 1000"
  [10k-fused]="--delay-ms 1000 --handler fused"
  [connect]="--delay-ms 0"
  [stream-p1]="--mode stream"
  [stream-p16]="--mode stream"
)
declare -A row_client=(
  [book]="--requests $(n 4000)"
  [book-busy-poll]="--requests $(n 4000)"
  [10k]="--requests $(n 10000)"
  [10k-fused]="--requests $(n 10000)"
  [connect]="--requests $(n 20000) --concurrency 64"
  [stream-p1]="--mode stream --requests $(n 200000) --concurrency 32 --pipeline 1"
  [stream-p16]="--mode stream --requests $(n 1000000) --concurrency 32 --pipeline 16"
)

# Starts a server, ours (from --bin) or the floor's (from --floor-bin) as $1 says, with the
# given flags; sets server_pid and port.
start_server() {
  local side=$1 log=$2
  shift 2
  local command=("$bin/server" --log-level warn)
  [[ $side == floor ]] && command=("$floor_bin/floor-server")
  exec 3< <(exec "${command[@]}" --port 0 "$@" 2>"$log")
  server_pid=$!
  local ready
  if ! read -r -t 10 ready <&3; then
    echo "bench: the server did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  port=${ready##*:}
}

# A server that died under load leaves "-" in its columns, and its row counted as failed.
server_cpu() {
  awk -v t="$ticks" '{printf "%.2f", ($14 + $15) / t}' "/proc/$server_pid/stat" 2>/dev/null ||
    echo -
}
server_rss_mb() {
  awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status" 2>/dev/null || echo -
}
minus() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-") print "-"; else printf "%.2f", a - b}'; }
# A number from the client's JSON line: the first "key": in it, which is the top level one
# ("requests" comes again under "settings").
field() {
  awk -v key="\"$1\":" '{
    at = index($0, key)
    if (at == 0) exit
    rest = substr($0, at + length(key))
    if (match(rest, /^[0-9.]+/)) print substr(rest, 1, RLENGTH)
  }' "$2"
}
# The client's numbers named in $2.., tab-separated, "-" for any it lacks.
fields() {
  local json=$1 key value line=()
  shift
  for key in "$@"; do
    value=$(field "$key" "$json")
    line+=("${value:--}")
  done
  tsv_line "${line[@]}"
}
# CPU seconds of this shell's finished children, from the second line of `times` in $1.
children_cpu() {
  awk 'NR == 2 {
    total = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); total += p[1] * 60 + p[2] }
    printf "%.3f", total
  }' "$1"
}
tsv_line() { (IFS=$'\t'; echo "$*"); }

# Runs a client, ours or the floor's as $1 says, bounded by client_limit_s, with the given flags
# against $port; its JSON line goes to $2. Sets client_cpu and client_status. In the
# background, so that a signal reaches our trap at once instead of after the client.
run_client() {
  local side=$1 json=$2
  shift 2
  local command=("$bin/client")
  [[ $side == floor ]] && command=("$floor_bin/floor-client")
  times >"$scratch/before"  # in this shell, not a subshell: it must count our children
  timeout "$client_limit_s" "${command[@]}" --port "$port" --json "$@" >"$json" 2>"$json.err" &
  client_pid=$!
  client_status=0
  wait "$client_pid" || client_status=$?
  client_pid=""
  times >"$scratch/after"
  client_cpu=$(minus "$(children_cpu "$scratch/after")" "$(children_cpu "$scratch/before")")
}

failed_runs=0
check_run() {
  local what=$1 json=$2 cpu=$3
  if ((client_status != 0)) || [[ ! -s "$json" || "$cpu" == - ]]; then
    echo "bench: $what: client status $client_status, server CPU '$cpu' (see $json.err)" >&2
    failed_runs=$((failed_runs + 1))
  fi
}

# Of the runs in $1 (TSV lines), the one with the median of column $2, then the column's
# smallest and largest value: the line for the results file.
pick_median() {
  local runs=$1 column=$2
  local count median range
  count=$(wc -l <"$runs")
  median=$(sort -t$'\t' -k"$column,$column" -g "$runs" | sed -n "$(((count + 1) / 2))p")
  range=$(cut -f"$column" "$runs" | sort -g | sed -n '1h; $ {H; x; s/\n/\t/; p}')
  printf '%s\t%s\t%s\n' "$median" "$count" "$range"
}

results_columns=(row ok requests errors wall_s rps p50_us p90_us p99_us p999_us max_us
  server_cpu_s server_rss_mb client_cpu_s runs rps_min rps_max server_flags client_flags)

# One run of a matrix row: a fresh server, one client run; appends a line to $scratch/runs.
row_run() {
  local name=$1 server_flags=$2 client_flags=$3 run=$4
  local json="$out/logs/$name.$run.json" cpu_before cpu rss
  # shellcheck disable=SC2086  # the flags are words on purpose
  start_server ours "$out/logs/$name.$run.server.log" $server_flags
  cpu_before=$(server_cpu)
  # shellcheck disable=SC2086
  run_client ours "$json" $client_flags
  cpu=$(minus "$(server_cpu)" "$cpu_before")
  rss=$(server_rss_mb)
  stop_server
  check_run "row $name, run $run" "$json" "$cpu"
  tsv_line "$name" "$(fields "$json" ok requests errors wall_s rps p50_us p90_us p99_us \
    p999_us max_us)" "$cpu" "$rss" "$client_cpu" >>"$scratch/runs"
}

# A row of the matrix: $repeat runs, the median one (by req/s) in results.tsv.
load_row() {
  local name=$1 server_flags=$2 client_flags=$3 run
  : >"$scratch/runs"
  for ((run = 1; run <= repeat; run++)); do
    row_run "$name" "$server_flags" "$client_flags" "$run"
  done
  tsv_line "$(pick_median "$scratch/runs" 6)" "$server_flags" "$client_flags" \
    >>"$out/results.tsv"
  print_row "$(tail -n 1 "$out/results.tsv")"
}

# An idle row ($1): a server started with flags $3... that is sent nothing; what it burns
# in $2 seconds. Run once: an idle server's CPU is zero or it is not, and five seconds are
# enough to see which.
idle_row() {
  local name=$1 seconds=$2 cpu_before cpu rss
  shift 2
  start_server ours "$out/logs/$name.server.log" "$@"
  cpu_before=$(server_cpu)
  sleep "$seconds"
  cpu=$(minus "$(server_cpu)" "$cpu_before")
  rss=$(server_rss_mb)
  stop_server
  tsv_line "$name" 0 0 0 "$seconds" - - - - - - "$cpu" "$rss" - 1 - - "$*" "" \
    >>"$out/results.tsv"
  print_row "$(tail -n 1 "$out/results.tsv")"
}

# The table on the terminal: latencies in ms, as people read them.
print_header() {
  printf "%-15s %15s %7s %9s %15s %9s %9s %9s %9s %8s %7s %8s\n" row ok/requests wall_s \
    req/s req/s_range p50_ms p90_ms p99_ms p99.9_ms srv_cpu rss_mb cli_cpu
}
print_row() {
  awk -F'\t' '
    function ms(us) { return us == "-" ? "-" : sprintf("%.3f", us / 1000) }
    function rate(rps) { return rps == "-" ? "-" : sprintf("%.0f", rps) }
    { printf "%-15s %15s %7.2f %9s %15s %9s %9s %9s %9s %8s %7s %8s\n", $1,
        ($3 == 0 ? "-" : $2 "/" $3), $5, rate($6), ($16 == "-" ? "-" : rate($16) "-" rate($17)),
        ms($7), ms($8), ms($9), ms($10), $12, $13, $14 }' <<<"$1"
}

markdown_table() {
  awk -F'\t' '
    function ms(us) { return us == "-" ? "-" : sprintf("%.3f", us / 1000) }
    function rate(rps) { return rps == "-" ? "-" : sprintf("%.0f", rps) }
    NR == 1 {
      print "| row | ok | wall s | req/s | req/s range (runs) | p50 ms | p90 ms | p99 ms | p99.9 ms | server CPU s | server peak RSS MB | client CPU s |"
      print "|---|---|---|---|---|---|---|---|---|---|---|---|"
      next
    }
    { printf "| %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,
        ($3 == 0 ? "-" : $2 "/" $3), $5, rate($6),
        ($16 == "-" ? "-" : rate($16) "-" rate($17) " (" $15 ")"), ms($7), ms($8), ms($9),
        ms($10), $12, $13, $14 }
  ' "$out/results.tsv"
}

wanted() { [[ -z "$only" || "$only" == *",$1,"* ]]; }

describe_machine() {
  local cxx=${CXX:-g++}
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores online"
  echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  # shellcheck disable=SC1091  # the machine's own file, read for its name only
  echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), Linux $(uname -r)"
  echo "compiler: $($cxx --version 2>/dev/null | head -n 1) (CXX=$cxx, POLLER=${POLLER:-epoll}, binaries in $bin)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
  echo "runs per row, floor pairing and sweep point: $repeat (the median by req/s is kept)"
  ((floor_wanted)) && echo "floor tools: $floor_bin/floor-server, $floor_bin/floor-client"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Throughput against concurrency: one stream server, $repeat client runs per point.
run_sweep() {
  echo
  echo "sweep: stream mode, pipeline 1, $(n 30000) requests per point, median of $repeat"
  printf "%-11s %9s %15s %9s %9s %9s %9s %8s\n" concurrency req/s req/s_range p50_ms p90_ms \
    p99_ms p99.9_ms srv_cpu
  tsv_line series concurrency pipeline requests ok wall_s rps p50_us p90_us p99_us p999_us \
    server_cpu_s client_cpu_s runs rps_min rps_max >"$out/sweep.tsv"
  start_server ours "$out/logs/sweep.server.log" --mode stream
  local concurrency run
  for concurrency in 1 2 4 8 16 32 64; do
    : >"$scratch/runs"
    for ((run = 1; run <= repeat; run++)); do
      sweep_run "$concurrency" "$run"
    done
    pick_median "$scratch/runs" 7 >>"$out/sweep.tsv"
    awk -F'\t' '
      function ms(us) { return us == "-" ? "-" : sprintf("%.3f", us / 1000) }
      { printf "%-11s %9.0f %15s %9s %9s %9s %9s %8s\n", $2, $7, sprintf("%.0f-%.0f", $15, $16),
          ms($8), ms($9), ms($10), ms($11), $12 }
    ' <<<"$(tail -n 1 "$out/sweep.tsv")"
  done
  stop_server
}

sweep_run() {
  local concurrency=$1 run=$2
  local json="$out/logs/sweep-c$concurrency.$run.json" cpu_before cpu
  cpu_before=$(server_cpu)
  run_client ours "$json" --mode stream --requests "$(n 30000)" --concurrency "$concurrency" \
    --pipeline 1
  cpu=$(minus "$(server_cpu)" "$cpu_before")
  check_run "sweep at concurrency $concurrency, run $run" "$json" "$cpu"
  tsv_line "stream pipeline 1" "$concurrency" 1 "$(fields "$json" requests ok wall_s rps p50_us \
    p90_us p99_us p999_us)" "$cpu" "$client_cpu" >>"$scratch/runs"
}

# The floor: each floor row in four pairings (the floor, our server, our client, ours), each
# $repeat times with a fresh server, the median by req/s in floor.tsv.
readonly floor_pairings=("floor floor" "ours floor" "floor ours" "ours ours")
# The floor tools are one thread each, so here ours are too: like for like. (The matrix above
# runs our defaults, three workers and a client thread per core.)
readonly floor_our_server_flags="--workers 1"
readonly floor_our_client_flags="--threads 1"

run_floor() {
  echo
  echo "floor: rows ${floor_rows[*]} in four pairings, one thread a side, median of $repeat (tools in $floor_bin)"
  printf "%-11s %-12s %15s %7s %9s %15s %8s %8s\n" row server+client ok/requests wall_s req/s \
    req/s_range srv_cpu cli_cpu
  tsv_line row pairing server client ok requests wall_s rps server_cpu_s client_cpu_s runs \
    rps_min rps_max >"$out/floor.tsv"
  local row pairing server client run
  for row in "${floor_rows[@]}"; do
    wanted "$row" || continue
    for pairing in "${floor_pairings[@]}"; do
      read -r server client <<<"$pairing"
      : >"$scratch/runs"
      for ((run = 1; run <= repeat; run++)); do
        floor_run "$row" "$server" "$client" "$run"
      done
      pick_median "$scratch/runs" 8 >>"$out/floor.tsv"
      print_floor_line "$(tail -n 1 "$out/floor.tsv")"
    done
  done
  floor_table >"$out/floor.md"
  echo
  cat "$out/floor.md"
}

# One run of a floor pairing; appends a line to $scratch/runs.
floor_run() {
  local row=$1 server=$2 client=$3 run=$4
  local name="floor-$row-$server-$client.$run" cpu_before cpu
  # shellcheck disable=SC2086  # the flags are words on purpose
  local server_flags=${row_server[$row]} client_flags=${row_client[$row]}
  [[ $server == ours ]] && server_flags+=" $floor_our_server_flags"
  [[ $client == ours ]] && client_flags+=" $floor_our_client_flags"
  start_server "$server" "$out/logs/$name.server.log" $server_flags
  cpu_before=$(server_cpu)
  # shellcheck disable=SC2086
  run_client "$client" "$out/logs/$name.json" $client_flags
  cpu=$(minus "$(server_cpu)" "$cpu_before")
  stop_server
  check_run "floor row $row, $server server and $client client, run $run" \
    "$out/logs/$name.json" "$cpu"
  tsv_line "$row" "$server+$client" "$server" "$client" \
    "$(fields "$out/logs/$name.json" ok requests wall_s rps)" "$cpu" "$client_cpu" \
    >>"$scratch/runs"
}

print_floor_line() {
  awk -F'\t' '
    function rate(rps) { return rps == "-" ? "-" : sprintf("%.0f", rps) }
    { printf "%-11s %-12s %15s %7.2f %9s %15s %8s %8s\n", $1, $2, $5 "/" $6, $7, rate($8),
        rate($12) "-" rate($13), $9, $10 }' <<<"$1"
}

# floor.md: a line per floor row, its four pairings and three ratios. The work of the burst
# rows (book, 10k) is a fixed 1 s wait for every request at once, so their cells are wall
# seconds and their ratios floor wall / our wall; the other rows' ratios are of req/s. So
# 1.00 means as fast as the floor, whatever the row.
floor_table() {
  awk -F'\t' -v runs="$repeat" '
    FNR == 1 { next }
    {
      rps[$1, $2] = $8
      wall[$1, $2] = $7
      if (!($1 in seen)) { seen[$1] = 1; order[++rows] = $1 }
    }
    function known(x) { return x != "" && x != "-" }
    function burst(row) { return row == "book" || row == "10k" }
    function cell(row, pairing) {
      if (burst(row)) return known(wall[row, pairing]) ? sprintf("%.2f s", wall[row, pairing]) : "-"
      return known(rps[row, pairing]) ? sprintf("%.0f", rps[row, pairing]) : "-"
    }
    function ratio(row, mine, floor) {
      if (burst(row)) { a = wall[row, floor]; b = wall[row, mine] } else { a = rps[row, mine]; b = rps[row, floor] }
      return known(a) && known(b) && b > 0 ? sprintf("%.2f", a / b) : "-"
    }
    END {
      print "| row | floor server + floor client | our server + floor client | floor server + our client | ours + ours | our server ÷ floor server | our client ÷ floor client | ours ÷ floor |"
      print "|---|---|---|---|---|---|---|---|"
      for (i = 1; i <= rows; i++) {
        r = order[i]
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", (burst(r) ? r " (wall s)" : r),
          cell(r, "floor+floor"), cell(r, "ours+floor"), cell(r, "floor+ours"),
          cell(r, "ours+ours"), ratio(r, "ours+floor", "floor+floor"),
          ratio(r, "floor+ours", "floor+floor"), ratio(r, "ours+ours", "floor+floor")
      }
      print ""
      print "One thread a side throughout (ours with --workers 1 and --threads 1, like the floor tools). Median of " runs " run(s) each, by req/s (floor.tsv keeps the range). The burst rows (book: 4,000 requests, 10k: 10,000, 1 s of work each, all in flight) are in wall seconds (lower is better) and their ratios are floor wall ÷ our wall; the other ratios are of req/s. So 1.00 is as fast as the floor."
    }' "$out/floor.tsv"
}

main() {
  describe_machine >"$out/machine.txt"
  cat "$out/machine.txt"
  echo
  tsv_line "${results_columns[@]}" >"$out/results.tsv"
  print_header
  local row
  for row in book book-busy-poll 10k 10k-fused connect stream-p1 stream-p16; do
    wanted "$row" && load_row "$row" "${row_server[$row]}" "${row_client[$row]}"
  done
  local idle_s
  idle_s=$( ((quick)) && echo 1 || echo 5)
  wanted idle && idle_row idle "$idle_s"
  wanted idle-busy-poll && idle_row idle-busy-poll "$idle_s" --busy-poll
  markdown_table >"$out/table.md"
  rm -f "$out/floor.tsv" "$out/floor.md" "$out/sweep.tsv"  # nothing stale beside fresh rows
  ((floor_wanted)) && run_floor
  ((sweep)) && run_sweep
  echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
  echo
  echo "bench: results in $out/ (results.tsv$( ((floor_wanted)) && echo ", floor.tsv, floor.md")$( ((sweep)) && echo ", sweep.tsv"), table.md, machine.txt)"
  ((failed_runs == 0)) || { echo "bench: $failed_runs run(s) failed" >&2; exit 1; }
}

main
