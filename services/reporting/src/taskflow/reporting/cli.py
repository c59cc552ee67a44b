"""`taskflow-reporting api|worker|migrate|rebuild`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from taskflow.common.cli import Command, make_cli
from taskflow.common.db import Database
from taskflow.reporting.config import Settings

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "alembic.ini"


async def _worker(settings: Any) -> None:
    from taskflow.reporting.worker import run_worker

    await run_worker(settings)


async def _rebuild(settings: Settings, batch: int) -> int:
    from taskflow.reporting.projection.rebuild import rebuild
    from taskflow.reporting.projection.repository import lift_statement_timeout

    # No client-side answer timeout either: one page of a big rebuild may take minutes.
    db = Database(
        settings.model_copy(update={"db_command_timeout": 0}), pool_size=1, max_overflow=0
    )
    try:
        async with db.sessionmaker() as session, session.begin():
            # A rebuild of a big log takes minutes: lift the API's statement timeout.
            await lift_statement_timeout(session)
            result = await rebuild(session, batch=batch)
    finally:
        await db.dispose()
    print(f"rebuilt: {result.applied} events applied, {result.skipped} skipped")
    return 0


def _configure_rebuild(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", type=int, default=None, help="events read per page")


def _run_rebuild(args: argparse.Namespace, settings: Any) -> int:
    return asyncio.run(_rebuild(settings, args.batch or settings.rebuild_batch))


main = make_cli(
    name="reporting",
    settings=Settings,
    app="taskflow.reporting.main:app",
    alembic_ini=ALEMBIC_INI,
    worker=_worker,
    commands={
        "rebuild": Command(
            help="empty the read models and replay the event log (see docs/services/reporting.md)",
            run=_run_rebuild,
            configure=_configure_rebuild,
        )
    },
)
