#!/usr/bin/env bash
# `make serve` (scripts/serve.sh) puts Debian's HAProxy in front of several Streamlit processes.
# Installs it with apt-get when it is missing; says clearly what to do when that is not possible.
set -euo pipefail

LOG="${TMPDIR:-/tmp}/kviz-haproxy-install.log"

haproxy_bin() {
  command -v haproxy 2>/dev/null || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; } || true
}
works() { local bin; bin="$(haproxy_bin)"; [ -n "$bin" ] && "$bin" -v >/dev/null 2>&1; }

fail() {
  echo "error: $1" >&2
  echo "       'make serve' needs HAProxy (as root: apt-get install haproxy)." >&2
  echo "       Without it, 'make run' serves the app as one process." >&2
  exit 1
}

if works; then exit 0; fi

echo "HAProxy is missing: installing Debian's haproxy package for 'make serve' (about 5 MB)..."
command -v apt-get >/dev/null || fail "haproxy is missing and apt-get is not available on this machine."
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    fail "haproxy is missing and this user cannot run apt-get (not root, no password-less sudo)."
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Only the program is wanted: the package's own service (haproxy.service, /etc/haproxy/haproxy.cfg) is never
# started by kviz; where there is no init system, invoke-rc.d simply does not start it.
if ! { "${SUDO[@]}" apt-get update -q \
       && "${SUDO[@]}" apt-get install -y -q --no-install-recommends haproxy; } >"$LOG" 2>&1; then
  tail -n 5 "$LOG" >&2
  fail "apt-get could not install haproxy (full log: $LOG)."
fi
works || fail "haproxy was installed but 'haproxy -v' does not run (log: $LOG)."
echo "HAProxy installed: $("$(haproxy_bin)" -v 2>/dev/null | head -n 1)"
