"""The asyncpg connection under a SQLAlchemy one, for the hot paths.

Appending, verifying, exporting and purging move many rows; going to asyncpg directly skips
SQLAlchemy's per-row result processing (several times faster). One trap: SQLAlchemy's
asyncpg adapter opens the driver-level transaction lazily, on its own first statement. A
statement sent straight to asyncpg before that would run in autocommit, and a
`SELECT ... FOR UPDATE` would release its lock at once. `driver()` therefore sends one
statement through SQLAlchemy first, so everything after it is inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


async def driver(db: AsyncSession | AsyncConnection) -> Any:
    """The asyncpg connection of `db`, inside `db`'s (now open) transaction."""
    conn = await db.connection() if isinstance(db, AsyncSession) else db
    await conn.execute(text("SELECT 1"))
    fairy = await conn.get_raw_connection()
    return fairy.driver_connection


def period(
    column: Literal["occurred_at", "recorded_at"], start: datetime | None, end: datetime | None
) -> tuple[str, list[Any]]:
    """`column` in [start, end) as an asyncpg WHERE clause (`$1`, `$2`) and its arguments;
    `TRUE` when both ends are open. The column is one of two names, never caller text.
    """
    where, args = ["TRUE"], []
    if start is not None:
        args.append(start)
        where.append(f"{column} >= ${len(args)}")
    if end is not None:
        args.append(end)
        where.append(f"{column} < ${len(args)}")
    return " AND ".join(where), args
