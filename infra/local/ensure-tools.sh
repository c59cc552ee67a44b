#!/usr/bin/env bash
# Install the tools the tests and `make dev` use (nginx, chromium for the browser tests, and uv
# for `make setup`), when missing.
# As root on Debian with apt-get; otherwise say exactly what to install. Safe to run again.
set -euo pipefail

log() { printf '[ensure-tools] %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
have nginx || missing+=(nginx)
# The web app's end-to-end tests drive Debian's chromium through Playwright (no browser download).
# TASKFLOW_CHROMIUM names another browser (CI's Ubuntu runner has Google Chrome, and no
# /usr/bin/chromium): then that one must exist, and nothing is installed in its place.
if [ -n "${TASKFLOW_CHROMIUM:-}" ]; then
    if [ ! -x "$TASKFLOW_CHROMIUM" ]; then
        log "TASKFLOW_CHROMIUM=$TASKFLOW_CHROMIUM is not an executable browser (unset it to use Debian's chromium)"
        exit 1
    fi
elif [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
fi
# The web app builds with Node 20+ (Vite 8). Debian 12's own nodejs is 18, too old: say so.
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
    log "Node 20+ with npm is needed to build and test the web app (frontend/): install it from nodejs.org or NodeSource"
fi

# uv: `make setup` falls back to pip, but a fresh Debian 12 has no pip and refuses
# `pip install --user` (PEP 668), so install it here, into ~/.local/bin (on the Makefile's PATH).
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/uv" ]; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
        if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
            log "installing python3-pip with apt-get (to install uv)"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
        else
            log "missing: uv. Install with: sudo apt-get install -y python3-pip && python3 -m pip install --user --break-system-packages uv"
            exit 1
        fi
    fi
    log "installing uv into ~/.local/bin with pip"
    python3 -m pip install --quiet --user uv 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages uv
fi

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The distribution's service would listen on :80; we run our own unprivileged instances.
    if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
else
    log "missing: ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}"
    exit 1
fi
