# shellcheck shell=bash
# shellcheck disable=SC2154  # tool and bin are the sourcing script's
# Sourced by scripts/cluster.sh and scripts/scaling.sh: server instances on loopback, HAProxy
# in TCP mode in front of them, and the cleanup that stops all of it however the script ends.
# The sourcing script sets `tool` (its name in messages) and `bin` (where bin/server is).

# HAProxy is what users run in front of servers; installed here if it is missing.
ensure_haproxy() {
  command -v haproxy >/dev/null && return
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "$tool: haproxy not found: installing Debian's haproxy"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy) >/dev/null
  else
    echo "$tool: haproxy is missing; install it with: sudo apt-get install haproxy" >&2
    exit 2
  fi
}

# Each named variable must hold a whole number (a knob from the environment), and bin/
# must hold the programs: else a usage error, exit 2.
check_setup() {  # variable names...
  local knob program
  for knob in "$@"; do
    [[ "${!knob}" =~ ^[0-9]+$ ]] || { echo "$tool: $knob wants a whole number" >&2; exit 2; }
  done
  for program in "$bin/server" "$bin/client"; do
    [[ -x "$program" ]] || { echo "$tool: $program not found; run make" >&2; exit 2; }
  done
}

# The run's folder and the trap that cleans up after it, whatever happens next.
begin() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$tool.XXXXXX")
  trap cleanup EXIT
  trap 'keep=1; exit 130' INT TERM
}
server_pids=() server_ports=() haproxy_pid="" client_pid=""
failures=()
fail() { failures+=("$*"); echo "$tool: FAIL: $*" >&2; }

# Everything started is stopped: TERM, then KILL after 10 s.
cleanup() {
  local pid
  for pid in $client_pid $haproxy_pid "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $client_pid $haproxy_pid "${server_pids[@]}"; do
    timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
  if (( ${#failures[@]} == 0 )) && [[ -z "${keep:-}" ]]; then rm -rf "$work"; else
    echo "$tool: logs kept in $work" >&2; fi
}

# The port a process listens on, once it does (bounded); empty if the process ends first.
listening_port() {  # pid
  local tries=100 port=""
  while [[ -z "$port" ]] && (( tries-- > 0 )) && kill -0 "$1" 2>/dev/null; do
    port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$1," 'index($0, p) {n = split($4, a, ":"); print a[n]; exit}')
    [[ -n "$port" ]] || sleep 0.05
  done
  echo "$port"
}

# Starts `count` servers with the flags after it (each on port 0 unless the flags say
# otherwise); appends their pids and ports to server_pids and server_ports.
start_instances() {  # count, server flags...
  local count=$1 i port first=${#server_pids[@]}
  shift
  for (( i = 0; i < count; i++ )); do
    "$bin/server" --port 0 --log-level info "$@" >"$work/server-$(( first + i + 1 )).out" \
      2>"$work/server-$(( first + i + 1 )).err" &
    server_pids+=($!)
  done
  for (( i = first; i < first + count; i++ )); do
    port=$(listening_port "${server_pids[i]}")
    [[ -n "$port" ]] || { cat "$work/server-$(( i + 1 )).err" >&2; echo "$tool: instance $(( i + 1 )) did not start" >&2; exit 1; }
    server_ports+=("$port")
  done
}

# SIGTERM to every instance, each must exit 0; server_pids is emptied.
stop_instances() {
  local i code
  for (( i = 0; i < ${#server_pids[@]}; i++ )); do kill -TERM "${server_pids[i]}"; done
  for (( i = 0; i < ${#server_pids[@]}; i++ )); do
    code=0
    wait "${server_pids[i]}" || code=$?
    (( code == 0 )) || fail "instance $(( i + 1 )) exited $code on SIGTERM"
  done
  server_pids=() server_ports=()
}

# HAProxy's configuration: TCP mode, round robin over server_ports, a health check every
# 100 ms (two failed checks mark an instance down).
haproxy_config() {  # port to listen on
  local i
  printf 'global\n  log stderr format raw local0 info\n  maxconn 4000\n'
  printf 'defaults\n  mode tcp\n  log global\n  option dontlognull\n'
  # A connect that fails (a dead instance, before its checks have marked it down) is tried
  # again on another instance: only requests already on it are lost.
  printf '  retries 3\n  option redispatch\n'
  printf '  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n'
  printf 'frontend front\n  bind 127.0.0.1:%s\n  default_backend instances\n' "$1"
  printf 'backend instances\n  balance roundrobin\n'
  for (( i = 0; i < ${#server_ports[@]}; i++ )); do
    printf '  server s%d 127.0.0.1:%s check inter 100ms fall 2 rise 2\n' "$(( i + 1 ))" "${server_ports[i]}"
  done
}

# Starts HAProxy in front of server_ports; sets haproxy_pid and front (its port). HAProxy
# cannot be given port 0: a random high port, and another if that one is taken.
start_haproxy() {
  local try wanted
  front=""
  for (( try = 1; try <= 10 && ${#front} == 0; try++ )); do
    wanted=$(( 20000 + RANDOM % 30000 ))
    haproxy_config "$wanted" >"$work/haproxy.cfg"
    haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
    haproxy_pid=$!
    front=$(listening_port "$haproxy_pid")
    [[ -n "$front" ]] || { wait "$haproxy_pid" 2>/dev/null || true; haproxy_pid=""; }
  done
  [[ -n "$front" ]] || { cat "$work/haproxy.log" >&2; echo "$tool: HAProxy did not start" >&2; exit 1; }
}

stop_haproxy() {
  kill -TERM "$haproxy_pid" 2>/dev/null || true
  wait "$haproxy_pid" 2>/dev/null || true
  haproxy_pid=""
}

# The first number after "key": in a client's JSON line.
json_field() { grep -o "\"$1\":[0-9.]*" <<<"$2" | head -n 1 | cut -d: -f2; }
