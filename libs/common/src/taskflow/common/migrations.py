"""Alembic helpers: a service's `env.py` is a few lines, and `upgrade()` callable from code.

env.py of a service:

    from taskflow.common.migrations import run_migrations
    from taskflow.tasks.models import metadata
    run_migrations(metadata, "tasks")

The URL comes from (in order) `-x url=...`, the URL `upgrade()` passed in, the config's
`sqlalchemy.url`, or the environment variable named by `env_var` (default `DATABASE_URL`).
The version table lives in the service's own schema, and only that schema is compared.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

T = TypeVar("T")


def _asyncpg_url(url: str) -> str:
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    return url


def run_coroutine_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop.

    Alembic is synchronous; when it is driven from async code (test fixtures, an admin
    command) `asyncio.run` would fail, so the coroutine then gets its own loop in a thread.
    """

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="alembic") as pool_:
        return pool_.submit(asyncio.run, main()).result()


def resolve_url(env_var: str = "DATABASE_URL") -> str:
    """The database URL for the current alembic run (see module docstring)."""
    config = context.config
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.attributes.get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    url = url or os.environ.get(env_var)
    if not url:
        raise RuntimeError(f"no database URL: pass -x url=..., set sqlalchemy.url or {env_var}")
    return _asyncpg_url(str(url))


def run_migrations(metadata: MetaData, schema: str, *, env_var: str = "DATABASE_URL") -> None:
    """The whole body of a service's alembic env.py."""
    opts: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": False,
        "compare_type": True,
    }
    url = resolve_url(env_var)
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_async_engine(
            url,
            poolclass=pool.NullPool,
            connect_args={"server_settings": {"search_path": schema}},
        )
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
                await connection.commit()
        finally:
            await engine.dispose()

    run_coroutine_sync(online)


def make_config(alembic_ini: str | Path, url: str | None = None) -> Config:
    """An alembic Config for a service's ini, with script_location made absolute."""
    ini = Path(alembic_ini).resolve()
    cfg = Config(str(ini))
    location = cfg.get_main_option("script_location") or "migrations"
    if not Path(location).is_absolute():
        cfg.set_main_option("script_location", str(ini.parent / location))
    if url is not None:
        # Through attributes, not the ini: configparser would choke on `%` in passwords.
        cfg.attributes["url"] = url
    return cfg


def upgrade(alembic_ini: str | Path, url: str | None = None, revision: str = "head") -> None:
    """`alembic upgrade <revision>` for a service; safe to call inside a running loop."""
    command.upgrade(make_config(alembic_ini, url), revision)


async def upgrade_async(
    alembic_ini: str | Path, url: str | None = None, revision: str = "head"
) -> None:
    """`upgrade()` in a worker thread, so the caller's loop keeps running."""
    await asyncio.to_thread(upgrade, alembic_ini, url, revision)
