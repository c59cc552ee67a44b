"""The migration creates every table the metadata declares."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.reporting.db import metadata


async def test_every_table_exists(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'reporting'")
        )
        names = {r[0] for r in rows}
    assert {t.name for t in metadata.sorted_tables} <= names
