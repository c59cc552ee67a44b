# syntax=docker/dockerfile:1
# One image per Python service, built from this one file:
#   docker build --build-arg SERVICE=tasks -t taskflow-tasks .
# The entrypoint is the service's own CLI: `api [--workers N]`, `worker`, `migrate`, and the
# service's extra commands (`rotate-keys`, `verify`, ...). Runs as uid 10001 with a read-only
# root filesystem: only /tmp must be writable (compose: tmpfs; Helm: an emptyDir).

FROM python:3.11-slim-bookworm AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<auth|tasks|...>"; exit 1; }
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_NO_CACHE=1
RUN pip install --no-cache-dir "uv>=0.5,<1"
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
COPY libs ./libs
COPY services ./services
# Only this service and the libs it needs; no dev tools. Sources stay where the lock points
# (workspace members are editable installs: each CLI finds its alembic.ini beside its code).
RUN uv sync --frozen --no-dev --package "taskflow-${SERVICE}" \
    && find services -mindepth 1 -maxdepth 1 ! -name "${SERVICE}" -exec rm -rf {} + \
    && rm -rf libs/*/tests services/*/tests \
    && python -m compileall -q libs services

FROM python:3.11-slim-bookworm AS runtime
ARG SERVICE
LABEL org.opencontainers.image.source="https://github.com/taskflow/taskflow" \
      org.opencontainers.image.title="taskflow-${SERVICE}"
# tini as PID 1: forwards SIGTERM to the service and reaps children, so a rolling update
# drains instead of waiting for the kill timeout.
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --gid 0 --home-dir /app --shell /usr/sbin/nologin taskflow
WORKDIR /app
COPY --from=build --chown=0:0 /app /app
RUN ln -s "/app/.venv/bin/taskflow-${SERVICE}" /usr/local/bin/taskflow
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TMPDIR=/tmp
USER 10001
EXPOSE 8000
# The api answers /healthz on 8000 (compose and the chart set <SERVICE>_PORT=8000); workers
# and one-shot commands turn this check off in compose and use no probe in Kubernetes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["/usr/bin/tini", "--", "taskflow"]
CMD ["api"]
