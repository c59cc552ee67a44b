"""`taskflow-notifications api|worker|migrate`."""

from __future__ import annotations

from pathlib import Path

from taskflow.common.cli import make_cli
from taskflow.notifications.config import Settings
from taskflow.notifications.worker import run_worker

main = make_cli(
    name="notifications",
    settings=Settings,
    app="taskflow.notifications.main:app",
    alembic_ini=Path(__file__).resolve().parents[3] / "alembic.ini",
    worker=run_worker,
)
