#!/usr/bin/env bash
# `make dev`: the whole system on one machine, from a fresh clone.
# Installs what is missing, brings the servers up, migrates, then runs every api, worker
# (the Procfile: also tasks-webhooks, the outgoing webhooks sender),
# the SMTP sink, Radicale and nginx under infra/local/supervise.py: a process that exits is
# reported (name, exit code, last lines) and restarted with backoff while the others keep
# running. Ctrl-C stops everything; run it again any time.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

infra/local/ensure-services.sh
infra/local/ensure-tools.sh
make --no-print-directory setup

[ -f .env ] || cp .env.example .env
# .env gives defaults; a variable already in the environment wins (as with docker compose), so
# `API_WORKERS=1 make dev` (or the load driver) can override .env for one run.
env_before="$(export -p)"
set -a; . ./.env; set +a
eval "$env_before"

mkdir -p .dev/mail .dev/calendar .dev/radicale .dev/nginx

uv run --no-sync python -m taskflow.testing.devdb
for svc in $(ls services); do
    echo "[dev] migrate $svc"
    uv run --no-sync "taskflow-$svc" migrate
done

if [ -f frontend/package.json ]; then
    if node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
        echo "[dev] building the web app (skipped when nothing changed)"
        uv run --no-sync python infra/local/webapp.py build >/dev/null
    else
        echo "[dev] Node 20+ is needed to build the web app (frontend/); serving the placeholder page" >&2
    fi
fi
if [ ! -f frontend/dist/index.html ]; then
    # No web app yet: serve the placeholder page that says where the APIs are.
    export SPA_ROOT="$ROOT/gateway/html/spa"
fi

# Radicale: one service account writes every user's calendar.
cat > .dev/radicale/config <<CONF
[server]
hosts = 127.0.0.1:${CALDAV_PORT}
[auth]
type = htpasswd
htpasswd_filename = ${ROOT}/.dev/radicale/users
htpasswd_encryption = plain
[rights]
type = authenticated
[storage]
filesystem_folder = ${ROOT}/.dev/calendar
[logging]
level = warning
CONF
printf '%s:%s\n' "$CALDAV_USER" "$CALDAV_PASSWORD" > .dev/radicale/users

uv run --no-sync python gateway/render.py --out .dev/nginx >/dev/null

if uv run --no-sync taskflow-auth create-admin --email "$DEMO_ADMIN_EMAIL" --password "$DEMO_ADMIN_PASSWORD" --role admin >/dev/null 2>&1; then
    demo="  demo admin: $DEMO_ADMIN_EMAIL / (DEMO_ADMIN_PASSWORD in .env)"
else
    demo="  (demo admin not created: run make admin EMAIL=... PASSWORD=...)"
fi

cat <<MSG

  Taskflow is starting on http://localhost:${GATEWAY_LISTEN##*:}
  APIs:      http://localhost:${GATEWAY_LISTEN##*:}/api/docs
  Mail sink: .dev/mail/*.eml     Calendar: http://127.0.0.1:${CALDAV_PORT}
$demo
  make seed loads demo projects, tasks and comments. Ctrl-C stops everything.

MSG
exec uv run --no-sync python infra/local/supervise.py -f Procfile
