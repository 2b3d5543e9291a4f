#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (browser downloads are impossible here): install it when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Chromium is missing: installing Debian's chromium package for the browser tests..."
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "error: /usr/bin/chromium is missing and this user cannot run apt-get; install 'chromium' or run 'make test-fast'." >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends chromium; } >/tmp/kviz-chromium-install.log 2>&1; then
  echo "error: could not install chromium with apt-get (see /tmp/kviz-chromium-install.log); 'make test-fast' skips the browser tests." >&2
  exit 1
fi
echo "Chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown version)"
