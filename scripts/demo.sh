#!/usr/bin/env bash
# The book's demo, end to end: start the server on a free port, send it 4,000 oneshot
# requests with 1 s of work each, all in flight at once, print the client's summary, stop
# the server with SIGTERM (it finishes what it accepted), and fail if anything failed.
#
#   scripts/demo.sh [BIN_DIR] [extra client flags...]     (make demo runs it with bin/)
set -euo pipefail

bin=${1:-bin}
shift || true
for program in server client; do
  [[ -x "$bin/$program" ]] || { echo "demo: $bin/$program not found; run make first" >&2; exit 2; }
done

# 4,000 sockets on each side: lift the soft limit on open files to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

server_log=$(mktemp)
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "$server_log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server says "listening on HOST:PORT" on stdout once it accepts connections: read
# that line (bounded by a timeout) instead of guessing how long start-up takes.
exec 3< <(exec "$bin/server" --port 0 --log-level warn 2>"$server_log")
server_pid=$!
if ! read -r -t 10 ready <&3; then
  echo "demo: the server did not start:" >&2
  cat "$server_log" >&2
  exit 1
fi
address=${ready#listening on }
port=${address##*:}
echo "demo: server $ready (pid $server_pid)"
echo "demo: 4,000 requests, 1 s of work each, all in flight at once"

status=0
"$bin/client" --port "$port" --requests 4000 "$@" || status=$?

kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
echo "demo: server stopped (exit $server_status)"
grep -v '^$' "$server_log" | tail -n 20 >&2 || true
if (( status != 0 || server_status != 0 )); then
  echo "demo: FAILED (client exit $status, server exit $server_status)" >&2
  exit 1
fi
echo "demo: OK"
