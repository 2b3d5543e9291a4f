#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (Playwright cannot download browsers here).
# Installs it with apt-get when it is missing; says clearly what to do when that is not possible.
set -euo pipefail
# shellcheck source=apt-install.sh
source "$(dirname "$0")/apt-install.sh"

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
apt_install "$CHROMIUM" "$LOG" chromium fonts-liberation
works || fail "chromium was installed but '$CHROMIUM --headless --version' does not run (log: $LOG)."
echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null)"
