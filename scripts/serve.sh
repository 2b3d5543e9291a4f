#!/usr/bin/env bash
# `make serve`: several Streamlit processes of app.py behind HAProxy on one port, in the foreground.
#
#   bash scripts/serve.sh [--replicas N] [--port P]     # defaults: one replica per core, port 8501
#   bash scripts/serve.sh --print-config [--port P]     # print the HAProxy configuration and exit
#
# One Streamlit process runs every session's script under one interpreter lock, so it uses one core
# whatever the machine has. This starts N processes on free localhost ports, waits until each answers
# /_stcore/health, and runs Debian's HAProxy in front of them on port P with:
#   - session affinity: a cookie (SERVERID) names the replica, so a browser's websocket and its uploads
#     (/_stcore/upload_file/...) reach the process that holds its session;
#   - health checks on /_stcore/health (a stopped replica gets no new visitors; its sessions reconnect
#     to another one);
#   - hardening: only the configured host names are answered (DNS rebinding), a websocket must come
#     from the page's own origin, /_stcore/metrics is not served, and every answer carries
#     X-Content-Type-Options, Referrer-Policy and Content-Security-Policy frame-ancestors.
# A replica that stops is started again on its port. Ctrl-C or SIGTERM stops every process it started (exit
# status 0); if this script is killed outright, its children get SIGTERM from their parent-death signal.
#
# Environment:
#   KVIZ_REPLICAS, KVIZ_PORT     defaults for --replicas and --port
#   KVIZ_BIND                    address HAProxy listens on (default 127.0.0.1; 0.0.0.0 in a container)
#   KVIZ_HOSTS                   host names the app is reached by, space-separated (default
#                                "localhost 127.0.0.1"); each is allowed bare and as NAME:P, or give
#                                NAME:PORT for a port mapped elsewhere. Loopback names are always allowed.
#   KVIZ_FRAME_ANCESTORS         who may frame the app (default 'self'), e.g. "'self' https://intranet.example"
#   KVIZ_LOG_DIR                 where replica logs go (default: a temporary folder removed at exit;
#                                "-" = this script's own stdout/stderr, as a container wants)
#   KVIZ_PYTHON                  the Python that runs Streamlit (default .venv/bin/python, else python3)
#   KVIZ_START_SECONDS           how long a replica may take to become healthy (default 120)
#   KVIZ_DATA                    passed to the app as usual
#   MALLOC_ARENA_MAX             glibc heaps per replica (default 2, as `make run`: kviz.memory says why)
set -euo pipefail
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

say() { echo "kviz serve: $*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }

# Cores this process may use: the CPU affinity mask (nproc), capped by a cgroup CPU quota when one is set
# (a container limited to 2 CPUs on a 64-core host should start 2 replicas, not 64).
default_replicas() {
  local cores quota period
  cores="$(nproc 2>/dev/null || echo 2)"
  if [ -r /sys/fs/cgroup/cpu.max ] && read -r quota period </sys/fs/cgroup/cpu.max && [ "$quota" != max ]; then
    local limit=$(((quota + period - 1) / period))
    [ "$limit" -ge 1 ] && [ "$limit" -lt "$cores" ] && cores="$limit"
  fi
  echo "$cores"
}

REPLICAS="${KVIZ_REPLICAS:-}"
PORT="${KVIZ_PORT:-8501}"
MODE=serve
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) [ $# -ge 2 ] || die "--replicas needs a number"; REPLICAS="$2"; shift 2 ;;
    --replicas=*) REPLICAS="${1#*=}"; shift ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --print-config) MODE=print; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$REPLICAS" ] || REPLICAS="$(default_replicas)"
if ! { [[ "$REPLICAS" =~ ^[0-9]+$ ]] && [ "$REPLICAS" -ge 1 ] && [ "$REPLICAS" -le 64 ]; }; then
  die "--replicas must be a whole number from 1 to 64 (got '$REPLICAS')"
fi
if ! { [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ]; }; then
  die "--port must be 1-65535 (got '$PORT')"
fi

BIND="${KVIZ_BIND:-127.0.0.1}"
HOSTS="${KVIZ_HOSTS:-localhost 127.0.0.1}"
SELF="'self'"
FRAME_ANCESTORS="${KVIZ_FRAME_ANCESTORS:-$SELF}"
START_SECONDS="${KVIZ_START_SECONDS:-120}"
LOG_DIR="${KVIZ_LOG_DIR:-}"
# Values that end up inside the HAProxy configuration: a strict character set, so none can add a directive.
ADDRESS_RE='^[][0-9A-Za-z.:*-]+$' HOSTS_RE='^[][0-9A-Za-z.: _-]+$' SOURCES_RE="^[0-9A-Za-z .:/*_'-]+\$"
[[ "$BIND" =~ $ADDRESS_RE ]] || die "KVIZ_BIND '$BIND' is not an address"
[[ "$HOSTS" =~ $HOSTS_RE ]] || die "KVIZ_HOSTS may hold host names, IP addresses and :ports only"
[[ "$FRAME_ANCESTORS" =~ $SOURCES_RE ]] ||
  die "KVIZ_FRAME_ANCESTORS may hold CSP sources only (e.g. \"'self' https://intranet.example\")"
[[ "$START_SECONDS" =~ ^[0-9]+$ ]] || die "KVIZ_START_SECONDS must be a number of seconds"

if [ -n "${KVIZ_PYTHON:-}" ]; then PY="$KVIZ_PYTHON"
elif [ -x "$REPO/.venv/bin/python" ]; then PY="$REPO/.venv/bin/python"
else PY="$(command -v python3 || true)"; fi
{ [ -n "$PY" ] && "$PY" -c 'import streamlit' 2>/dev/null; } ||
  die "no Python with Streamlit found (run 'make serve', which installs .venv, or set KVIZ_PYTHON)"

# N free localhost ports, all held open at once so none is handed out twice.
free_ports() {
  "$PY" - "$1" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

port_is_free() {
  "$PY" - "$BIND" "$1" <<'PY'
import socket, sys
address = sys.argv[1].strip("[]").replace("*", "")
family = socket.AF_INET6 if ":" in address else socket.AF_INET
with socket.socket(family) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((address or "0.0.0.0", int(sys.argv[2])))
    except OSError:
        sys.exit(1)
PY
}

# The Host header values to answer: each name bare (behind another proxy on 80/443) and with our port.
allowed_hosts() {
  local name out=()
  for name in $HOSTS localhost 127.0.0.1 '[::1]'; do
    name="${name,,}"
    if [[ "$name" == *:* && "$name" != \[*\] ]]; then out+=("$name"); else out+=("$name" "$name:$PORT"); fi
  done
  printf '%s\n' "${out[@]}" | awk '!seen[$0]++' | tr '\n' ' '
}

haproxy_config() {  # replica ports...
  local i=0 port
  cat <<EOF
# Generated by scripts/serve.sh for $# replica(s) of app.py on port $PORT. Not edited by hand.
global
    log stderr format raw local0 notice
    maxconn 4096
    nbthread 1
    hard-stop-after 10s

defaults
    mode http
    log global
    option dontlognull
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 15s
    timeout http-keep-alive 15s
    timeout queue 30s
    # An open websocket (/_stcore/stream) is a tunnel: idle up to an hour (Streamlit pings it far more often).
    timeout tunnel 1h
    timeout client-fin 30s

frontend kviz
    bind $BIND:$PORT
    # Exactly one Host header, and one of ours: a page on another site whose name was pointed at this
    # machine (DNS rebinding) still sends its own name, and is refused.
    http-request deny deny_status 400 unless { req.hdr_cnt(host) eq 1 }
    http-request set-var(txn.host) req.hdr(host),lower
    acl allowed_host var(txn.host) -m str $(allowed_hosts)
    http-request deny deny_status 403 unless allowed_host
    # A websocket must come from a page of this very origin (scheme://Host); another port on the same
    # machine is another origin. Browsers always send Origin on a websocket; one without it is refused too.
    http-request set-var(txn.origin_http) str(http://),concat(,txn.host,)
    http-request set-var(txn.origin_https) str(https://),concat(,txn.host,)
    acl websocket req.hdr(upgrade) -i websocket
    acl stream_path path,url_dec -m beg /_stcore/stream
    acl same_origin req.hdr(origin),lower,strcmp(txn.origin_http) eq 0
    acl same_origin req.hdr(origin),lower,strcmp(txn.origin_https) eq 0
    http-request deny deny_status 403 if websocket !same_origin || stream_path !same_origin
    # Streamlit's metrics endpoint is for operators, not visitors.
    http-request deny deny_status 404 if { path,url_dec -m reg -i ^/+_stcore/+metrics }
    # On every answer, HAProxy's own refusals included.
    http-after-response set-header X-Content-Type-Options nosniff
    http-after-response set-header Referrer-Policy same-origin
    http-after-response set-header Content-Security-Policy "frame-ancestors $FRAME_ANCESTORS"
    default_backend replicas

backend replicas
    balance roundrobin
    # The first answer to a browser names its replica in a cookie; every later request (the websocket,
    # uploads) goes there while it is up. A stopped replica's visitors are sent to another (redispatch).
    cookie SERVERID insert indirect nocache httponly attr SameSite=Lax
    option redispatch
    retries 2
    option httpchk
    http-check send meth GET uri /_stcore/health ver HTTP/1.1 hdr Host localhost
    http-check expect status 200
    default-server inter 2s fall 2 rise 2
EOF
  for port in "$@"; do
    i=$((i + 1))
    echo "    server r$i 127.0.0.1:$port check cookie r$i"
  done
}

if [ "$MODE" = print ]; then
  # shellcheck disable=SC2046  # one port per replica
  haproxy_config $(free_ports "$REPLICAS")
  exit 0
fi

haproxy_bin() { command -v haproxy 2>/dev/null || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; } || true; }
HAPROXY="$(haproxy_bin)"
if [ -z "$HAPROXY" ]; then
  bash "$REPO/scripts/ensure-haproxy.sh"
  HAPROXY="$(haproxy_bin)"
  [ -n "$HAPROXY" ] || die "haproxy is not installed (apt-get install haproxy)"
fi

port_is_free "$PORT" || die "port $PORT on $BIND is in use (choose another: --port P, or 'make serve PORT=P')"

RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/kviz-serve.XXXXXX")"
CONFIG="$RUN_DIR/haproxy.cfg"
read -r -a PORTS <<<"$(free_ports "$REPLICAS")"
haproxy_config "${PORTS[@]}" >"$CONFIG"
"$HAPROXY" -c -q -f "$CONFIG" || die "HAProxy refused the generated configuration ($CONFIG)"
if [ -z "$LOG_DIR" ]; then LOG_DIR="$RUN_DIR"; elif [ "$LOG_DIR" != - ]; then mkdir -p "$LOG_DIR"; fi

# Children get SIGTERM if this script dies without cleaning up (even by SIGKILL): setpriv (util-linux,
# essential in Debian) sets their parent-death signal before it runs them, and then execs them.
ORPHAN_GUARD=()
if command -v setpriv >/dev/null && setpriv --pdeathsig TERM -- true 2>/dev/null; then
  ORPHAN_GUARD=(setpriv --pdeathsig TERM --)
fi

declare -a REPLICA_PIDS=() STARTED_AT=() QUICK_EXITS=()
HAPROXY_PID=""
STOPPING=""

log_of() { echo "$LOG_DIR/replica-$1.log"; }

start_replica() {  # index (0-based)
  local i="$1" port="${PORTS[$1]}"
  local cmd=("${ORPHAN_GUARD[@]}" "$PY" -m streamlit run app.py
    --server.headless true --server.port "$port" --server.address 127.0.0.1
    --browser.gatherUsageStats false --server.fileWatcherType none)
  if [ "$LOG_DIR" = - ]; then
    PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 "${cmd[@]}" &
  else
    PYTHONPATH="$REPO/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 "${cmd[@]}" >>"$(log_of $((i + 1)))" 2>&1 &
  fi
  REPLICA_PIDS[i]=$!
  STARTED_AT[i]=$SECONDS
}

show_log() {  # replica number (1-based)
  [ "$LOG_DIR" = - ] && return 0
  local log; log="$(log_of "$1")"
  [ -s "$log" ] && { say "last lines of replica $1's log:"; tail -n 15 "$log" | sed 's/^/    /' >&2; }
  return 0
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# GET /_stcore/health with bash alone (no curl in slim images): true when it answers 200.
healthy() {  # port [host]
  local fd line
  { exec {fd}<>"/dev/tcp/${2:-127.0.0.1}/$1"; } 2>/dev/null || return 1
  printf 'GET /_stcore/health HTTP/1.0\r\nHost: localhost\r\n\r\n' 1>&"$fd" 2>/dev/null || { exec {fd}>&-; return 1; }
  IFS= read -r -t 5 -u "$fd" line || line=""
  exec {fd}>&-
  [[ "$line" == HTTP/1.?\ 200* ]]
}

cleanup() {
  local code=$?
  trap - INT TERM EXIT
  STOPPING=1
  local pids=() pid
  alive "$HAPROXY_PID" && pids+=("$HAPROXY_PID")
  for pid in "${REPLICA_PIDS[@]}"; do alive "$pid" && pids+=("$pid"); done
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping ${#pids[@]} process(es)..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 15)) left
    while :; do
      left=()
      for pid in "${pids[@]}"; do alive "$pid" && left+=("$pid"); done
      [ ${#left[@]} -eq 0 ] && break
      if [ $SECONDS -ge $deadline ]; then kill -KILL "${left[@]}" 2>/dev/null || true; break; fi
      sleep 0.2
    done
    wait "${pids[@]}" 2>/dev/null || true
  fi
  rm -rf "$RUN_DIR"
  exit "$code"
}
trap cleanup EXIT
# A requested stop is a success (exit 0): `make serve` ends without "Error 130", `docker stop` with 0.
trap 'say "interrupted (SIGINT)"; exit 0' INT
trap 'say "terminated (SIGTERM)"; exit 0' TERM

say "starting $REPLICAS replica(s) of app.py on 127.0.0.1:${PORTS[*]}"
for i in "${!PORTS[@]}"; do start_replica "$i"; QUICK_EXITS[i]=0; done
deadline=$((SECONDS + START_SECONDS))
for i in "${!PORTS[@]}"; do
  until healthy "${PORTS[$i]}"; do
    if ! alive "${REPLICA_PIDS[$i]}"; then show_log $((i + 1)); die "replica $((i + 1)) exited while starting"; fi
    if [ $SECONDS -ge $deadline ]; then show_log $((i + 1)); die "replica $((i + 1)) not healthy after ${START_SECONDS}s"; fi
    sleep 0.2
  done
done

"${ORPHAN_GUARD[@]}" "$HAPROXY" -db -f "$CONFIG" &
HAPROXY_PID=$!
case "$BIND" in 0.0.0.0 | '*' | '::' | '[::]') PROXY_HOST=127.0.0.1 ;; *) PROXY_HOST="${BIND#[}"; PROXY_HOST="${PROXY_HOST%]}" ;; esac
until healthy "$PORT" "$PROXY_HOST"; do
  alive "$HAPROXY_PID" || die "haproxy exited while starting (configuration: see above)"
  [ $SECONDS -ge $deadline ] && die "haproxy does not answer on port $PORT"
  sleep 0.2
done
shown_host="${HOSTS%% *}"
say "serving http://$shown_host:$PORT/ with $REPLICAS replica(s) behind HAProxy (pid $$). Ctrl-C stops everything."
[ "$LOG_DIR" != - ] && [ "$LOG_DIR" != "$RUN_DIR" ] && say "replica logs: $LOG_DIR/replica-N.log"

# Supervise: HAProxy gone = stop everything; a replica gone = start it again on its port (HAProxy's
# health check takes it back), unless it keeps dying within seconds of its start.
while :; do
  done_pid=""
  wait -n -p done_pid "$HAPROXY_PID" "${REPLICA_PIDS[@]}" || true
  [ -n "$STOPPING" ] && break
  [ -n "$done_pid" ] || continue
  if [ "$done_pid" = "$HAPROXY_PID" ]; then die "haproxy stopped; stopping the replicas"; fi
  for i in "${!REPLICA_PIDS[@]}"; do
    [ "${REPLICA_PIDS[$i]}" = "$done_pid" ] || continue
    if [ $((SECONDS - STARTED_AT[i])) -lt 30 ]; then QUICK_EXITS[i]=$((QUICK_EXITS[i] + 1)); else QUICK_EXITS[i]=0; fi
    if [ "${QUICK_EXITS[$i]}" -ge 3 ]; then
      show_log $((i + 1))
      die "replica $((i + 1)) keeps stopping within 30 s of its start"
    fi
    say "replica $((i + 1)) stopped; starting it again on port ${PORTS[$i]} (its visitors reconnect to another replica)"
    show_log $((i + 1))
    start_replica "$i"
  done
done
