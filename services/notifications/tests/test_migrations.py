"""The migrations build exactly the tables the models describe (no drift)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from taskflow.notifications.models import metadata


async def test_models_match_the_migrated_schema(engine: Any) -> None:
    def diff(conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parent: (
                    type_ != "table" or name != "alembic_version"
                ),
            },
        )
        return list(compare_metadata(ctx, metadata))

    async with engine.connect() as conn:
        await conn.exec_driver_sql("SET search_path TO notifications")
        changes = await conn.run_sync(diff)
    assert changes == []
