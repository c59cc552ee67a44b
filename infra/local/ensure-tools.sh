#!/usr/bin/env bash
# Install the non-Python tools the tests and `make dev` use (nginx), when missing.
# As root on Debian with apt-get; otherwise say exactly what to install. Safe to run again.
set -euo pipefail

log() { printf '[ensure-tools] %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

missing=()
have nginx || missing+=(nginx)

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
