"""Migration 0004_webhooks builds exactly the webhook tables the models describe.

As in auth's test, the comparison runs with `public` as the default schema so that alembic
reflects `tasks` objects with their schema (see services/auth/tests/test_migrations.py).
Only the webhook tables are compared: they are what this migration adds.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from taskflow.tasks.models import Base

TABLES = {"webhooks", "webhook_deliveries", "webhook_attempts"}


def _only_tasks(name: str | None, type_: str, parent: Any) -> bool:
    return name == "tasks" if type_ == "schema" else True


def _table_of(change: Any) -> str | None:
    """The table a diff entry is about (alembic's entries are tuples, or lists of them)."""
    if isinstance(change, list):
        return _table_of(change[0])
    op, *rest = change
    if op in ("add_column", "remove_column") or op.startswith("modify_"):
        return str(rest[1])
    obj = rest[0]
    table = getattr(obj, "table", obj)
    return getattr(table, "name", None)


async def test_webhook_tables_match_the_models(tasks_db_url: str) -> None:
    def diff(conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_schemas": True,
                "include_name": _only_tasks,
                "version_table_schema": "tasks",
            },
        )
        return list(compare_metadata(ctx, Base.metadata))

    engine = create_async_engine(
        tasks_db_url, connect_args={"server_settings": {"search_path": "public"}}
    )
    try:
        async with engine.connect() as conn:
            changes = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    ours = [c for c in changes if _table_of(c) in TABLES]
    assert ours == []
    # (a table missing from the database would be an `add_table` entry of ours)
