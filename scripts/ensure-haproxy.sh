#!/usr/bin/env bash
# `make serve` (scripts/serve.sh) puts Debian's HAProxy in front of several Streamlit processes.
# Installs it with apt-get when it is missing; says clearly what to do when that is not possible.
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"

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
# Only the program is wanted: the package's own service (haproxy.service, /etc/haproxy/haproxy.cfg) is never
# started by kviz; where there is no init system, invoke-rc.d simply does not start it.
apt_install haproxy "$LOG" haproxy
works || fail "haproxy was installed but 'haproxy -v' does not run (log: $LOG)."
echo "HAProxy installed: $("$(haproxy_bin)" -v 2>/dev/null | head -n 1)"
