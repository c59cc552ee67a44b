"""Async engine and the request-scoped session (one transaction per request).

The session dependency is declared with `Depends(..., scope="function")`: FastAPI (>= 0.121)
then runs the code after `yield` when the route function returns and *before* the response
is sent. With the default ("request") scope the commit would run after the client already
got its 200, and a failing commit would silently lose the write.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from taskflow.common.errors import Conflict, ServiceUnavailable

if TYPE_CHECKING:
    from taskflow.common.settings import ServiceSettings

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: SQLSTATE classes and codes that mean "the server is not there for us right now": connection
#: exceptions (08), too many connections (53300), and shutdown or start-up (57P01-57P03).
_UNAVAILABLE_STATES = ("08", "53300", "57P01", "57P02", "57P03")


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database is away (refused, reset, silent, shutting down).

    Such a failure is nobody's fault in the request or message at hand: APIs answer 503 and
    consumers wait and try the same message again. A bug or bad data is anything else.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(
            current, (OSError, TimeoutError, InterfaceError, asyncpg.exceptions.InterfaceError)
        ):
            return True
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def make_metadata(schema: str) -> MetaData:
    """Metadata bound to a service's schema, with stable constraint names for migrations."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


class Database:
    """The service's engine and session factory; creating it opens no connection."""

    def __init__(self, settings: ServiceSettings, *, url: str | None = None, **engine_kw: Any):
        self.schema = settings.db_schema
        self.ping_after_idle = settings.db_ping_after_idle_s
        #: Connections checked with a ping before use (see `_check_out`); tests read it.
        self.pings = 0
        kw: dict[str, Any] = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout,
            "pool_recycle": 1800,
            "connect_args": {
                "server_settings": {
                    "search_path": settings.db_schema,
                    "statement_timeout": str(settings.db_statement_timeout_ms),
                    "application_name": settings.service_name,
                },
                "timeout": settings.db_pool_timeout,
                "command_timeout": settings.db_command_timeout or None,
            },
        }
        kw.update(engine_kw)
        self.engine: AsyncEngine = create_async_engine(
            url or settings.database_url.get_secret_value(), **kw
        )
        self.sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=True
        )
        event.listen(self.engine.sync_engine, "checkin", _checked_in)
        event.listen(self.engine.sync_engine, "checkout", self._check_out)
        # The same pool, in autocommit: see `reads`. The isolation level is a flag of the
        # asyncpg adapter (no round trip), put back when the connection is returned.
        read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(read_engine.sync_engine, "before_cursor_execute", _only_reads)
        self.read_sessionmaker: async_sessionmaker[AsyncSession] = async_sessionmaker(
            read_engine, expire_on_commit=False, autoflush=False
        )

    def _check_out(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """Ping a pooled connection that sat idle for a while; trust one used a moment ago.

        SQLAlchemy's `pool_pre_ping` pings on every checkout, and with asyncpg a ping is three
        round trips (BEGIN, an empty query, ROLLBACK): half of what a task list cost. Like
        HikariCP's alive-bypass window, a connection returned less than
        `db_ping_after_idle_s` ago is used as is. If the server went away in that window,
        the request fails as it would have between a ping and its query anyway: the pool
        is invalidated and the client gets 503 `db_unavailable` with Retry-After. A fresh
        connection (no check-in yet) needs no ping. A failed ping makes the pool drop the
        connection and take another (`DisconnectionError`).
        """
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < self.ping_after_idle:
            return
        self.pings += 1
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError("the pooled connection failed its ping") from exc

    async def ping(self) -> None:
        """`SELECT 1` on a pooled connection (readiness)."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


#: Key of `ConnectionRecord.info` (cleared whenever its connection is closed or invalidated).
_IDLE_SINCE = "taskflow_idle_since"


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _only_reads(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    """A read session runs SELECTs only: a write there would commit statement by statement."""
    if statement.lstrip()[:6].upper() != "SELECT":
        raise RuntimeError("a read-only session (db.reads) ran a statement that is not a SELECT")


@asynccontextmanager
async def transaction(db: Database) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed when the block ends, rolled back on error."""
    async with db.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await commit(session)


@asynccontextmanager
async def reads(db: Database) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads: each statement on its own, no BEGIN or COMMIT.

    At READ COMMITTED (ours) every statement of a transaction takes its own snapshot anyway,
    so a read-only route sees exactly what it would in a transaction, two round trips
    cheaper. Only for routes whose every statement is a plain read: `SET LOCAL`, locks and
    writes need a transaction, and the engine refuses anything but SELECT here.
    """
    async with db.read_sessionmaker() as session:
        yield session


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: commit when the route returns, roll back on error.

    A failed commit raises here, before the response is sent (see module docstring):
    an integrity error becomes 409 `conflict`, a lost connection 503, anything else 500.
    """
    async with transaction(request.app.state.db) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The session of a read-only route (`reads`)."""
    async with reads(request.app.state.db) as session:
        yield session


async def commit(session: AsyncSession) -> None:
    """Commit, turning a failed commit into a problem (409 on a constraint, 503 when gone).

    Only the request scope (and `idempotency.respond`) call this; services never commit.
    """
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("The change conflicts with existing data.", code="conflict") from None
    except DBAPIError as exc:
        await session.rollback()
        if database_unavailable(exc):
            raise database_unavailable_problem() from None
        raise


#: Seconds a client is told to wait after 503 `db_unavailable`.
DB_UNAVAILABLE_RETRY_AFTER = 2


def database_unavailable_problem() -> ServiceUnavailable:
    """The 503 a request gets while the database is away (never a 500: nothing is wrong)."""
    return ServiceUnavailable(
        "The database is unavailable; try again shortly.",
        code="db_unavailable",
        headers={"Retry-After": str(DB_UNAVAILABLE_RETRY_AFTER)},
    )


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
