"""`taskflow-audit api|worker|migrate|verify|purge`.

`migrate` runs as the schema owner (`AUDIT_MIGRATION_DATABASE_URL`), neither as the api's
read-only role nor as the consumer's; `verify` walks the chain from the command line (exit 1
when it is broken); `purge` runs one retention pass now.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from taskflow.audit.config import Settings
from taskflow.audit.worker import run_retention_once, run_worker
from taskflow.common.cli import Command, make_cli
from taskflow.common.db import Database
from taskflow.common.migrations import upgrade

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "alembic.ini"


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(ALEMBIC_INI, settings.migration_database_url.get_secret_value(), args.revision)
    return 0


def _migrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("revision", nargs="?", default="head")


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    from taskflow.audit.entries.service import verify

    async def run() -> int:
        db = Database(settings)
        try:
            snapshot = db.engine.execution_options(isolation_level="REPEATABLE READ")
            result = await verify(
                snapshot, from_seq=args.from_seq, to_seq=args.to_seq, chunk=settings.stream_chunk
            )
        finally:
            await db.dispose()
        print(json.dumps(result.model_dump()))
        return 0 if result.ok else 1

    return asyncio.run(run())


def _verify_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from-seq", type=int, default=None)
    p.add_argument("--to-seq", type=int, default=None)


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> int:
        db = Database(settings, url=settings.retention_database_url.get_secret_value())
        try:
            deleted = await run_retention_once(settings, db.engine)
        finally:
            await db.dispose()
        print(json.dumps({"deleted": deleted}))
        return 0

    return asyncio.run(run())


main = make_cli(
    name="audit",
    settings=Settings,
    app="taskflow.audit.main:app",
    worker=run_worker,
    commands={
        "migrate": Command(
            "apply database migrations as the schema owner", _migrate, _migrate_args
        ),
        "verify": Command("verify the hash chain (exit 1 when broken)", _verify, _verify_args),
        "purge": Command("run one retention pass now", _purge),
    },
)
