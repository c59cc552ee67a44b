"""`taskflow-tasks api|migrate|worker|webhooks`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from taskflow.common.cli import Command, make_cli
from taskflow.common.metrics import serve_process_metrics
from taskflow.tasks.config import Settings
from taskflow.tasks.worker import run_worker


def _webhooks(_args: argparse.Namespace, settings: Any) -> int:
    from taskflow.tasks.webhooks.worker import run_webhooks_worker

    serve_process_metrics(settings)
    asyncio.run(run_webhooks_worker(settings))
    return 0


main = make_cli(
    name="tasks",
    settings=Settings,
    app="taskflow.tasks.main:app",
    alembic_ini=Path(__file__).resolve().parents[3] / "alembic.ini",
    worker=run_worker,
    commands={"webhooks": Command(help="run the outgoing webhooks worker", run=_webhooks)},
)
