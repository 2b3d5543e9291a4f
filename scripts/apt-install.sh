# Sourced by scripts/ensure-*.sh: install Debian packages with apt-get, as root or through password-less sudo.
# The caller defines fail MESSAGE (prints what to do instead, exits 1).
#   apt_install WHAT LOG PACKAGE...   WHAT names the missing program in messages; apt-get's output goes to LOG.

apt_install() {
  local what="$1" log="$2"
  shift 2
  command -v apt-get >/dev/null || fail "$what is missing and apt-get is not available on this machine."
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      fail "$what is missing and this user cannot run apt-get (not root, no password-less sudo)."
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${sudo[@]}" apt-get update -q \
         && "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    fail "apt-get could not install $* (full log: $log)."
  fi
}
