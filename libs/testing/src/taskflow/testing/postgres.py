"""PostgreSQL bootstrap shared by the ``test_database`` fixture and ``devdb``.

A test session gets its own database ``tf_test_<hex>`` in the shared local cluster, with
``infra/postgres/init.sql`` applied (schemas per service, least-privilege roles), and drops it at
the end. Roles are cluster-wide and init.sql is idempotent, but two sessions running init.sql at
the same moment can still collide on the catalog (``ALTER ROLE ... SET`` from two transactions
fails with "tuple concurrently updated"), so it runs under a cluster-wide advisory lock taken in
the admin database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.testing.helpers import INIT_SQL_RELATIVE, find_repo_root, run_in_thread

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
TEST_DB_PREFIX = "tf_test_"
# Any constant works; it only has to be the same in every process that applies init.sql.
_INIT_LOCK_KEY = 0x7466_696E_6974  # "tfinit"
_COMMENT_TAG = "taskflow-test"


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (database, schema, table and role names cannot be parameters)."""
    return '"' + name.replace('"', '""') + '"'


def to_asyncpg_dsn(url: str | URL) -> str:
    """Turn a SQLAlchemy URL (``postgresql+asyncpg://...``) into a DSN asyncpg accepts."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(dsn: str, database: str) -> URL:
    return make_url(dsn).set(database=database)


async def _connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(to_asyncpg_dsn(dsn), timeout=10)


async def database_exists(admin_dsn: str, name: str) -> bool:
    """Say whether database ``name`` exists in the cluster of ``admin_dsn``."""
    conn = await _connect(admin_dsn)
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        return found is not None
    finally:
        await conn.close()


async def create_database(admin_dsn: str, name: str, *, comment: str | None = None) -> None:
    """Create database ``name`` from template0 (nobody ever connects to it, unlike template1)."""
    conn = await _connect(admin_dsn)
    try:
        await conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")
        if comment is not None:
            literal = "'" + comment.replace("'", "''") + "'"
            await conn.execute(f"COMMENT ON DATABASE {quote_ident(name)} IS {literal}")
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name`` if it exists, ending its connections first."""
    conn = await _connect(admin_dsn)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        # FORCE (PostgreSQL 13+) also ends connections that arrived after the terminate.
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


async def apply_init_sql(admin_dsn: str, database: str, sql_path: Path) -> None:
    """Apply init.sql to ``database`` as superuser, serialized across the whole cluster."""
    script = await asyncio.to_thread(sql_path.read_text, encoding="utf-8")
    lock_conn = await _connect(admin_dsn)
    try:
        await lock_conn.execute("SELECT pg_advisory_lock($1)", _INIT_LOCK_KEY)
        target = await _connect(_with_database(admin_dsn, database).render_as_string(False))
        try:
            # No arguments: asyncpg sends it with the simple protocol, so a multi-statement
            # script (DO blocks included) runs as is, in one implicit transaction.
            await target.execute(script)
        finally:
            await target.close()
    finally:
        with contextlib.suppress(Exception):
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", _INIT_LOCK_KEY)
        await lock_conn.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def sweep_stale_test_databases(admin_dsn: str) -> list[str]:
    """Drop test databases left by sessions on this host whose process no longer exists.

    Fixture teardown does not run when a session is killed (SIGKILL, OOM, a CI timeout); each
    test database carries a comment with its creator's host and pid so the next session can
    clean up after it without ever touching a database of a session that is still running.
    """
    conn = await _connect(admin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT datname, shobj_description(oid, 'pg_database') AS comment "
            "FROM pg_database WHERE datname LIKE $1",
            TEST_DB_PREFIX + "%",
        )
    finally:
        await conn.close()
    host = socket.gethostname()
    dropped: list[str] = []
    for row in rows:
        try:
            info = json.loads(row["comment"] or "")
        except ValueError:
            continue
        if not isinstance(info, dict) or info.get("tag") != _COMMENT_TAG:
            continue
        if info.get("host") != host or _pid_alive(int(info.get("pid", 0))):
            continue
        with contextlib.suppress(Exception):
            await drop_database(admin_dsn, row["datname"])
            dropped.append(row["datname"])
    return dropped


@contextlib.contextmanager
def _preserve_logging() -> Iterator[None]:
    """Undo what an Alembic ``env.py`` does to logging (``fileConfig`` disables every logger).

    Without this, running a migration inside a test session silences the loggers of the code
    under test and swaps pytest's capture handlers.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {
        name: lg.disabled
        for name, lg in logging.Logger.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in logging.Logger.manager.loggerDict.items():
            if isinstance(lg, logging.Logger):
                lg.disabled = disabled.get(name, False)


def run_alembic_upgrade(alembic_ini: Path, url: str, revision: str = "head") -> None:
    """Run ``alembic upgrade`` for one project against ``url`` (blocking).

    The URL reaches ``env.py`` three ways, so it may read whichever it prefers:
    ``context.get_x_argument(as_dictionary=True)["url"]`` (as ``alembic -x url=...``),
    ``config.get_main_option("sqlalchemy.url")`` and ``config.attributes["url"]``.
    ``config.attributes["configure_logger"]`` is False: env.py should skip ``fileConfig`` then.
    Must not be called from a thread with a running event loop when env.py uses
    ``asyncio.run`` (the fixtures call it from a worker thread).
    """
    from alembic import command
    from alembic.config import Config

    alembic_ini = alembic_ini.resolve()
    cfg = Config(str(alembic_ini), cmd_opts=argparse.Namespace(x=[f"url={url}"]))
    script_location = cfg.get_main_option("script_location")
    if script_location and ":" not in script_location and not Path(script_location).is_absolute():
        # A relative script_location is resolved against the working directory by Alembic;
        # the tests run from anywhere, so anchor it at the ini file as a human would expect.
        cfg.set_main_option("script_location", str(alembic_ini.parent / script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logger"] = False
    with _preserve_logging():
        command.upgrade(cfg, revision)


@dataclass
class FreshDatabase:
    """A database of its own in the local cluster, with init.sql applied.

    ``admin_url`` and ``url_for(role)`` are SQLAlchemy asyncpg URLs; ``admin_dsn`` and
    ``dsn_for(role)`` are plain ``postgresql://`` DSNs for asyncpg or psql.
    """

    name: str
    cluster_admin_dsn: str = DEFAULT_ADMIN_DSN
    repo_root: Path = field(default_factory=find_repo_root)
    _migrated: dict[str, str] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def create(
        cls,
        admin_dsn: str = DEFAULT_ADMIN_DSN,
        *,
        repo_root: Path | None = None,
        prefix: str = TEST_DB_PREFIX,
        sweep: bool = True,
    ) -> FreshDatabase:
        """Create ``<prefix><random hex>``, apply init.sql and return the handle (blocking)."""
        root = repo_root or find_repo_root()
        db = cls(
            name=f"{prefix}{secrets.token_hex(6)}", cluster_admin_dsn=admin_dsn, repo_root=root
        )
        comment = json.dumps(
            {"tag": _COMMENT_TAG, "host": socket.gethostname(), "pid": os.getpid()}
        )

        async def setup() -> None:
            if sweep:
                await sweep_stale_test_databases(admin_dsn)
            await create_database(admin_dsn, db.name, comment=comment)
            try:
                await apply_init_sql(admin_dsn, db.name, root / INIT_SQL_RELATIVE)
            except BaseException:
                await drop_database(admin_dsn, db.name)
                raise

        run_in_thread(setup)
        return db

    def drop(self) -> None:
        """Drop the database, ending any connection still open to it (blocking)."""
        run_in_thread(lambda: drop_database(self.cluster_admin_dsn, self.name))

    @property
    def admin_dsn(self) -> str:
        """Superuser DSN for this database (asyncpg / libpq form)."""
        return to_asyncpg_dsn(_with_database(self.cluster_admin_dsn, self.name))

    @property
    def admin_url(self) -> str:
        """Superuser SQLAlchemy URL for this database (``postgresql+asyncpg://``)."""
        url = _with_database(self.cluster_admin_dsn, self.name)
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)

    def url_for(self, role: str) -> str:
        """SQLAlchemy asyncpg URL that logs in as ``role`` (trust auth on loopback, no password)."""
        url = _with_database(self.cluster_admin_dsn, self.name)
        url = url.set(drivername="postgresql+asyncpg", username=role, password=None)
        return url.render_as_string(hide_password=False)

    def dsn_for(self, role: str) -> str:
        """Plain DSN that logs in as ``role``."""
        return to_asyncpg_dsn(self.url_for(role))

    @property
    def migrated(self) -> dict[str, str]:
        """The services migrated so far in this session, with the URL each was migrated as."""
        return dict(self._migrated)

    def migrate(
        self, service: str, *, alembic_ini: Path | None = None, role: str | None = None
    ) -> str:
        """Run ``services/<service>`` migrations to head once per session; return the role's URL.

        Runs as the service's own role ``taskflow_<service>`` (so its tables belong to it, as
        in production). Blocking, but the work happens in a worker thread, so it is safe to
        call from sync code and from inside a running event loop alike; async code that must
        not block its loop awaits :meth:`amigrate` instead. Later calls return at once.
        """
        ini = alembic_ini or self.repo_root / "services" / service / "alembic.ini"
        if not ini.is_file():
            raise FileNotFoundError(f"no Alembic config for service {service!r} at {ini}")
        url = self.url_for(role or f"taskflow_{service}")
        key = f"{service}@{ini.resolve()}"
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._migrated:
                error: list[BaseException] = []

                def work() -> None:
                    try:
                        run_alembic_upgrade(ini, url)
                    except BaseException as exc:
                        error.append(exc)

                worker = threading.Thread(target=work, name=f"alembic-{service}", daemon=True)
                worker.start()
                worker.join()
                if error:
                    raise error[0]
                self._migrated[key] = url
            return self._migrated[key]

    async def amigrate(
        self, service: str, *, alembic_ini: Path | None = None, role: str | None = None
    ) -> str:
        """Awaitable :meth:`migrate` that leaves the event loop free meanwhile."""
        return await asyncio.to_thread(self.migrate, service, alembic_ini=alembic_ini, role=role)


async def truncate_schema(
    target: str | AsyncEngine, schema: str, keep: Sequence[str] = ("alembic_version",)
) -> list[str]:
    """Empty every table of ``schema`` but ``keep`` (RESTART IDENTITY CASCADE); return their names.

    ``target`` is a SQLAlchemy URL, a plain DSN or an ``AsyncEngine``; the login must own the
    tables (the service role does, so does the superuser).
    """
    sql = "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename"
    if isinstance(target, AsyncEngine):
        from sqlalchemy import text

        async with target.begin() as conn:
            result = await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
                {"s": schema},
            )
            names = [row[0] for row in result if row[0] not in keep]
            if names:
                await conn.execute(text(_truncate_statement(schema, names)))
        return names
    pg = await _connect(target)
    try:
        names = [r["tablename"] for r in await pg.fetch(sql, schema) if r["tablename"] not in keep]
        if names:
            await pg.execute(_truncate_statement(schema, names))
        return names
    finally:
        await pg.close()


def _truncate_statement(schema: str, tables: Sequence[str]) -> str:
    qualified = ", ".join(f"{quote_ident(schema)}.{quote_ident(t)}" for t in tables)
    return f"TRUNCATE {qualified} RESTART IDENTITY CASCADE"


def make_engine(url: str) -> AsyncEngine:
    """An engine without pooling surprises for tests: connections close when released."""
    from sqlalchemy.pool import NullPool

    return create_async_engine(url, poolclass=NullPool)
