"""Each service's console entrypoint: `taskflow-<service> api|migrate|worker|<extra>`.

main = make_cli(name="tasks", settings=Settings, app="taskflow.tasks.main:app",
                alembic_ini=Path(__file__).parents[3] / "alembic.ini", worker=run_worker)
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskflow.common.logging import configure_logging, get_logger
from taskflow.common.metrics import serve_process_metrics
from taskflow.common.migrations import upgrade
from taskflow.common.settings import ServiceSettings
from taskflow.common.telemetry import configure_tracing, shutdown_tracing

log = get_logger("taskflow.cli")

Worker = Callable[[Any], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    """An extra subcommand: `configure` adds its arguments, `run` returns the exit code."""

    help: str
    run: Callable[[argparse.Namespace, Any], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None


def make_cli(
    *,
    name: str,
    settings: Callable[[], ServiceSettings],
    app: str,
    alembic_ini: str | Path | None = None,
    worker: Worker | None = None,
    commands: Mapping[str, Command] | None = None,
) -> Callable[[Sequence[str] | None], int]:
    """Build `main(argv) -> exit code` for a service."""

    def main(argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=f"taskflow-{name}")
        sub = parser.add_subparsers(dest="command", required=True)
        api = sub.add_parser("api", help="serve the HTTP API (uvicorn)")
        api.add_argument("--host", default=None)
        api.add_argument("--port", type=int, default=None)
        api.add_argument("--workers", type=int, default=1)
        if alembic_ini is not None:
            mig = sub.add_parser("migrate", help="apply database migrations (alembic upgrade)")
            mig.add_argument("revision", nargs="?", default="head")
        if worker is not None:
            sub.add_parser("worker", help="run the background worker")
        for cname, cmd in (commands or {}).items():
            p = sub.add_parser(cname, help=cmd.help)
            if cmd.configure is not None:
                cmd.configure(p)
        args = parser.parse_args(argv)
        s = settings()
        configure_logging(s.log_level, json=s.log_json, service=s.service_name)

        if args.command == "api":
            import uvicorn

            uvicorn.run(
                app,
                host=args.host or s.host,
                port=args.port or s.port,
                workers=args.workers,
                log_config=None,
                access_log=False,
                proxy_headers=True,
                server_header=False,
                timeout_graceful_shutdown=20,
                # With --workers, uvicorn kills a child that does not answer its health ping
                # in time (5 s by default): on a loaded machine (load 15) a child still
                # importing the app was killed and respawned forever; a start took 65 s there.
                timeout_worker_healthcheck=120,
            )
            return 0
        if args.command == "migrate" and alembic_ini is not None:
            log.info("migrating", revision=args.revision)
            upgrade(alembic_ini, s.database_url.get_secret_value(), args.revision)
            return 0
        # The api configures tracing in create_app; workers and the service's own commands
        # (the webhooks sender, a rebuild) here. Off unless `otlp_endpoint` is set.
        configure_tracing(s)
        try:
            if args.command == "worker" and worker is not None:
                serve_process_metrics(s)
                asyncio.run(worker(s))
                return 0
            cmd = (commands or {})[args.command]
            return cmd.run(args, s)
        finally:
            shutdown_tracing()

    return main
