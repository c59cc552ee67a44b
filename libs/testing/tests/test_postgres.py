"""The database fixtures on the real local PostgreSQL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import asyncpg
import pytest

from taskflow.testing import FreshDatabase, truncate_schema
from taskflow.testing.helpers import run_in_thread
from taskflow.testing.postgres import database_exists, drop_database, make_engine

SCHEMAS = ["audit", "auth", "notifications", "reporting", "tasks"]
OWNERS = {
    "auth": "taskflow_auth",
    "tasks": "taskflow_tasks",
    "notifications": "taskflow_notifications",
    "audit": "taskflow_audit",
    "reporting": "taskflow_reporting",
}


async def test_database_is_fresh_and_has_every_schema(test_database: FreshDatabase) -> None:
    assert test_database.name.startswith("tf_test_")
    assert test_database.admin_url.startswith("postgresql+asyncpg://postgres@")
    assert test_database.url_for("taskflow_tasks") == (
        f"postgresql+asyncpg://taskflow_tasks@127.0.0.1:5432/{test_database.name}"
    )
    conn = await asyncpg.connect(test_database.admin_dsn)
    try:
        assert await conn.fetchval("SELECT current_database()") == test_database.name
        rows = await conn.fetch(
            "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace "
            "WHERE nspname = ANY($1::text[])",
            SCHEMAS,
        )
    finally:
        await conn.close()
    assert {r["nspname"]: r["owner"] for r in rows} == OWNERS


@pytest.mark.parametrize("schema", sorted(OWNERS))
async def test_each_role_creates_only_in_its_own_schema(
    test_database: FreshDatabase, schema: str
) -> None:
    role = OWNERS[schema]
    conn = await asyncpg.connect(test_database.dsn_for(role))
    try:
        assert await conn.fetchval("SELECT current_user") == role
        assert await conn.fetchval("SELECT current_schema()") == schema
        # Prove the right, then roll it back so the shared session database stays clean.
        tx = conn.transaction()
        await tx.start()
        await conn.execute(f"CREATE TABLE {schema}.probe (id int)")
        await tx.rollback()
        for other in [*(s for s in SCHEMAS if s != schema), "public"]:
            tx = conn.transaction()
            await tx.start()
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f"CREATE TABLE {other}.probe (id int)")
            await tx.rollback()
    finally:
        await conn.close()


async def test_audit_readers_cannot_create_in_audit(test_database: FreshDatabase) -> None:
    for role in ("taskflow_audit_api", "taskflow_audit_retention", "taskflow_audit_writer"):
        conn = await asyncpg.connect(test_database.dsn_for(role))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE audit.probe (id int)")
        finally:
            await conn.close()


def _write_alembic_project(folder: Path, counter: Path) -> Path:
    """A throwaway Alembic project shaped like a service's (async env.py, schema-bound)."""
    (folder / "migrations" / "versions").mkdir(parents=True)
    ini = folder / "alembic.ini"
    ini.write_text(
        textwrap.dedent(
            """\
            [alembic]
            script_location = migrations

            [loggers]
            keys = root

            [handlers]
            keys = console

            [formatters]
            keys = generic

            [logger_root]
            level = WARNING
            handlers = console

            [handler_console]
            class = StreamHandler
            args = (sys.stderr,)
            formatter = generic

            [formatter_generic]
            format = %%(levelname)s %%(message)s
            """
        )
    )
    (folder / "migrations" / "env.py").write_text(
        textwrap.dedent(
            f"""\
            import asyncio
            from logging.config import fileConfig

            from alembic import context
            from sqlalchemy.ext.asyncio import create_async_engine

            config = context.config
            # A careless env.py: fileConfig disables every existing logger.
            fileConfig(config.config_file_name)
            with open({str(counter)!r}, "a") as f:
                f.write("run\\n")
            url = context.get_x_argument(as_dictionary=True)["url"]

            def run(connection):
                context.configure(connection=connection, version_table_schema="tasks")
                with context.begin_transaction():
                    context.run_migrations()

            async def main():
                engine = create_async_engine(url)
                async with engine.connect() as conn:
                    await conn.run_sync(run)
                    await conn.commit()
                await engine.dispose()

            asyncio.run(main())
            """
        )
    )
    (folder / "migrations" / "script.py.mako").write_text("")
    (folder / "migrations" / "versions" / "0001_widgets.py").write_text(
        textwrap.dedent(
            """\
            import sqlalchemy as sa
            from alembic import op

            revision = "0001"
            down_revision = None

            def upgrade():
                op.create_table(
                    "widgets",
                    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
                    sa.Column("name", sa.Text, nullable=False),
                    schema="tasks",
                )
            """
        )
    )
    return ini


async def test_migrate_runs_once_as_the_service_role_and_truncate_cleans(
    tmp_path: Path, pg_admin_dsn: str
) -> None:
    counter = tmp_path / "runs.txt"
    ini = _write_alembic_project(tmp_path / "svc", counter)
    probe_logger = logging.getLogger("taskflow.testing.probe")
    db = FreshDatabase.create(pg_admin_dsn, sweep=False)
    try:
        url = await db.amigrate("tasks", alembic_ini=ini)
        assert url == db.url_for("taskflow_tasks")
        assert db.migrate("tasks", alembic_ini=ini) == url  # cached: env.py not run again
        assert counter.read_text().count("run") == 1
        assert not probe_logger.disabled  # fileConfig's damage was undone

        conn = await asyncpg.connect(db.dsn_for("taskflow_tasks"))
        try:
            owner = await conn.fetchval(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'tasks' "
                "AND tablename = 'widgets'"
            )
            assert owner == "taskflow_tasks"
            assert await conn.fetchval("SELECT version_num FROM tasks.alembic_version") == "0001"
            await conn.execute("INSERT INTO tasks.widgets (name) VALUES ('a'), ('b')")
        finally:
            await conn.close()

        # A URL as the service role, then an engine: both empty the schema, keep the version.
        assert await truncate_schema(db.url_for("taskflow_tasks"), "tasks") == ["widgets"]
        engine = make_engine(db.url_for("taskflow_tasks"))
        try:
            conn = await asyncpg.connect(db.dsn_for("taskflow_tasks"))
            try:
                assert await conn.fetchval("SELECT count(*) FROM tasks.widgets") == 0
                new_id = await conn.fetchval(
                    "INSERT INTO tasks.widgets (name) VALUES ('c') RETURNING id"
                )
                assert new_id == 1  # RESTART IDENTITY
                assert await truncate_schema(engine, "tasks") == ["widgets"]
                assert await conn.fetchval("SELECT count(*) FROM tasks.widgets") == 0
                assert await conn.fetchval("SELECT count(*) FROM tasks.alembic_version") == 1
            finally:
                await conn.close()
        finally:
            await engine.dispose()
    finally:
        db.drop()
    assert not await database_exists(pg_admin_dsn, db.name)


async def test_migrate_fails_clearly_without_alembic_ini(test_database: FreshDatabase) -> None:
    with pytest.raises(FileNotFoundError, match="no Alembic config for service 'nope'"):
        test_database.migrate("nope")


async def test_drop_ends_open_connections(pg_admin_dsn: str) -> None:
    db = FreshDatabase.create(pg_admin_dsn, sweep=False)
    conn = await asyncpg.connect(db.dsn_for("taskflow_tasks"))
    try:
        db.drop()
        assert not await database_exists(pg_admin_dsn, db.name)
    finally:
        conn.terminate()


def test_devdb_is_idempotent(pg_admin_dsn: str) -> None:
    name = f"tf_test_devdb_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TASKFLOW_DB_NAME": name, "TASKFLOW_PG_ADMIN_DSN": pg_admin_dsn}
    cmd = [sys.executable, "-m", "taskflow.testing.devdb"]
    try:
        first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert "created" in first.stdout
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        assert "already existed" in second.stdout
    finally:
        run_in_thread(lambda: drop_database(pg_admin_dsn, name))


async def test_sweep_drops_only_databases_of_dead_sessions(pg_admin_dsn: str) -> None:
    import json
    import socket

    from taskflow.testing.postgres import create_database, sweep_stale_test_databases

    dead_pid = 2**22 + 1  # above Linux's largest pid_max: never a live process
    host = socket.gethostname()
    dead, alive = f"tf_test_dead_{uuid.uuid4().hex[:6]}", f"tf_test_alive_{uuid.uuid4().hex[:6]}"
    try:
        for name, pid in ((dead, dead_pid), (alive, os.getpid())):
            comment = json.dumps({"tag": "taskflow-test", "host": host, "pid": pid})
            await create_database(pg_admin_dsn, name, comment=comment)
        dropped = await sweep_stale_test_databases(pg_admin_dsn)
        assert dead in dropped
        assert alive not in dropped
        assert not await database_exists(pg_admin_dsn, dead)
        assert await database_exists(pg_admin_dsn, alive)
    finally:
        await drop_database(pg_admin_dsn, dead)
        await drop_database(pg_admin_dsn, alive)
