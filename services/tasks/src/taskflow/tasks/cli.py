"""`taskflow-tasks api|migrate|worker`."""

from __future__ import annotations

from pathlib import Path

from taskflow.common.cli import make_cli
from taskflow.tasks.config import Settings
from taskflow.tasks.worker import run_worker

main = make_cli(
    name="tasks",
    settings=Settings,
    app="taskflow.tasks.main:app",
    alembic_ini=Path(__file__).resolve().parents[3] / "alembic.ini",
    worker=run_worker,
)
