#!/usr/bin/env bash
# Make sure PostgreSQL, RabbitMQ and Redis answer on loopback.
# Starts them where installed but stopped; installs missing ones with apt-get on Debian when
# run as root; otherwise says exactly what to install. Safe to run again when all is up.
set -euo pipefail

log() { printf '[ensure-services] %s\n' "$*" >&2; }

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
AMQP_PORT="${AMQP_PORT:-5672}"

is_root() { [ "$(id -u)" = "0" ]; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
    if is_root && have apt-get; then
        log "installing $* with apt-get"
        if [ ! -f /var/lib/apt/periodic/taskflow-updated ]; then
            apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/taskflow-updated
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        log "missing: $*. Install it with: sudo apt-get install -y $*"
        exit 1
    fi
}

wait_for() { # name, tries, command...
    local name="$1" tries="$2"; shift 2
    for _ in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    log "$name did not come up"; return 1
}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT"; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping | grep -q PONG; }
amqp_up() { rabbitmq-diagnostics -q check_port_listener "$AMQP_PORT" >/dev/null 2>&1; }

# Servers that already answer on their ports need no local programs: a CI runner with service
# containers (GitHub Actions) has no pg_isready, redis-cli or rabbitmq-diagnostics, and must
# not try to install or start its own. Each is asked in its own protocol, not just connected
# to: PostgreSQL answers an SSLRequest, Redis a PING, RabbitMQ the AMQP 0-9-1 header (a port
# that accepts connections before the broker is up answers none of these).
answering() {
    python3 - "$PGHOST" "$PGPORT" "$REDIS_PORT" "$AMQP_PORT" <<'PY'
import socket, struct, sys
host, pg, redis, amqp = sys.argv[1], *map(int, sys.argv[2:])
def ask(h, port, send, ok):
    try:
        with socket.create_connection((h, port), timeout=3) as s:
            s.sendall(send)
            return ok(s.recv(16))
    except OSError:
        return False
up = (
    ask(host, pg, struct.pack("!ii", 8, 80877103), lambda r: r[:1] in (b"S", b"N"))
    and ask("127.0.0.1", redis, b"PING\r\n", lambda r: r.startswith(b"+PONG"))
    and ask("127.0.0.1", amqp, b"AMQP\x00\x00\x09\x01", lambda r: r[:1] == b"\x01")
)
sys.exit(0 if up else 1)
PY
}
# Where psql exists, a cluster that refuses the passwordless login falls through to the
# checks below, which say how to fix it.
login_ok() {
    ! have psql || psql -h "$PGHOST" -p "$PGPORT" -U postgres -w -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
}
if answering && login_ok; then
    log "PostgreSQL, Redis and RabbitMQ already answer on $PGHOST:$PGPORT, :$REDIS_PORT, :$AMQP_PORT"
    exit 0
fi

# PostgreSQL
installed_pg=no
if ! have pg_ctlcluster && ! have pg_isready; then
    apt_install postgresql postgresql-client
    installed_pg=yes
fi
if ! pg_up; then
    log "starting PostgreSQL"
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL 30 pg_up
fi
# The tests and `make db` log in as postgres on loopback without a password (trust), which a
# fresh Debian install does not allow (scram-sha-256). Only a cluster this script installed
# just now is changed; an existing one is never reconfigured: say what to change instead.
pg_login() { psql -h "$PGHOST" -p "$PGPORT" -U postgres -w -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; }
if ! pg_login; then
    hba="$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -1 || true)"
    if [ "$installed_pg" = yes ] && [ -n "$hba" ] && is_root; then
        log "allowing passwordless loopback logins in $hba (a development cluster installed just now)"
        { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.new"
        chown --reference="$hba" "$hba.new" && chmod --reference="$hba" "$hba.new" && mv "$hba.new" "$hba"
        version="$(basename "$(dirname "$(dirname "$hba")")")"
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload
        wait_for "PostgreSQL login" 15 pg_login
    else
        log "PostgreSQL answers but refuses 'postgres' on $PGHOST:$PGPORT without a password."
        log "For a development cluster, put these lines first in ${hba:-pg_hba.conf} and reload:"
        log "    host all all 127.0.0.1/32 trust"
        log "    host all all ::1/128 trust"
        log "or point the tests elsewhere: TASKFLOW_TEST_PG_ADMIN_DSN=postgresql://user:pass@host/postgres"
        exit 1
    fi
fi

# Redis
if ! have redis-server; then apt_install redis-server redis-tools; fi
if ! redis_up; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for Redis 20 redis_up
fi

# RabbitMQ
if ! have rabbitmq-server; then apt_install rabbitmq-server; fi
if ! amqp_up; then
    log "starting RabbitMQ"
    rabbitmq-server -detached || true
    wait_for RabbitMQ 90 amqp_up
fi

log "PostgreSQL, Redis and RabbitMQ answer on loopback"
