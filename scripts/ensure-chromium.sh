#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (Playwright cannot download browsers here).
# Installs it with apt-get when it is missing; says clearly what to do when that is not possible.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
LOG="${TMPDIR:-/tmp}/kviz-chromium-install.log"

works() { [ -x "$CHROMIUM" ] && "$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1; }

fail() {
  echo "error: $1" >&2
  echo "       The browser tests need Debian's chromium at $CHROMIUM (as root: apt-get install chromium)." >&2
  echo "       Without it, 'make test-fast' runs every test except the browser tests." >&2
  exit 1
}

if works; then exit 0; fi

echo "Chromium is missing: installing Debian's chromium package for the browser tests (about 120 MB)..."
command -v apt-get >/dev/null || fail "$CHROMIUM is missing and apt-get is not available on this machine."
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else
    fail "$CHROMIUM is missing and this user cannot run apt-get (not root, no password-less sudo)."
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -q \
       && "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium fonts-liberation; } >"$LOG" 2>&1; then
  tail -n 5 "$LOG" >&2
  fail "apt-get could not install chromium (full log: $LOG)."
fi
works || fail "chromium was installed but '$CHROMIUM --headless --version' does not run (log: $LOG)."
echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null)"
