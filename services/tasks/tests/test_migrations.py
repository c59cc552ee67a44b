"""Migrations: they build what the models describe, and 0003 moves existing data losslessly.

The model comparison runs on a connection whose default schema is `public` (see the same test
of auth for why). The data test migrates a database of its own to 0002, writes projects and
tasks the old way, upgrades, and checks every task kept its status, completion and counters.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from taskflow.tasks.models import Base
from taskflow.testing.postgres import FreshDatabase, run_alembic_upgrade, to_asyncpg_dsn

INI = Path(__file__).resolve().parents[1] / "alembic.ini"


def _only_tasks(name: str | None, type_: str, parent: Any) -> bool:
    return name == "tasks" if type_ == "schema" else True


async def test_models_match_the_migrated_schema(tasks_db_url: str) -> None:
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
    assert changes == []


async def test_gin_indexes_have_no_pending_list(tasks_db_url: str) -> None:
    # compare_metadata does not look at index options: read them from the catalog.
    conn = await asyncpg.connect(to_asyncpg_dsn(tasks_db_url))
    try:
        rows = await conn.fetch(
            """SELECT c.relname, c.reloptions FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
               WHERE n.nspname = 'tasks' AND a.amname = 'gin'"""
        )
    finally:
        await conn.close()
    options = {r["relname"]: r["reloptions"] for r in rows}
    assert {"ix_tasks_search", "ix_tasks_assignee_ids", "ix_tasks_label_ids"} <= set(options)
    for name, opts in options.items():
        assert opts is not None, name
        assert "fastupdate=off" in opts, name


@pytest.fixture
def old_database(pg_admin_dsn: str) -> Any:
    """A database of its own, the tasks schema migrated to 0002 (before workflows)."""
    db = FreshDatabase.create(pg_admin_dsn)
    try:
        yield db
    finally:
        db.drop()


OLD = ("todo", "in_progress", "blocked", "done", "cancelled")


async def test_0003_gives_every_project_the_default_workflow_and_maps_every_task(
    old_database: FreshDatabase,
) -> None:
    url = old_database.url_for("taskflow_tasks")
    await asyncio.to_thread(run_alembic_upgrade, INI, url, "0002")
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        owner = uuid.uuid4()
        projects = [uuid.uuid4(), uuid.uuid4()]
        expected: dict[uuid.UUID, tuple[str, Any]] = {}
        for n, pid in enumerate(projects):
            await conn.execute(
                "INSERT INTO tasks.projects (id, key, name, created_by, deleted_at, task_counter,"
                " tasks_total, tasks_done) VALUES ($1, $2, 'P', $3,"
                " CASE WHEN $4 THEN now() END, 6, 4, 1)",
                pid, f"PR{n}", owner, n == 1,
            )  # fmt: skip
            for i, status in enumerate((*OLD, "done")):
                tid = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO tasks.tasks (id, project_id, number, title, status, created_by,"
                    " completed_at, deleted_at) VALUES ($1, $2, $3, 'T', $4::varchar, $5,"
                    " CASE WHEN $4::varchar = 'done' THEN now() END, CASE WHEN $6 THEN now() END)",
                    tid, pid, i + 1, status, owner, i == 5,
                )  # fmt: skip
                expected[tid] = (status, None)
        before = {
            r["id"]: (r["completed_at"], r["version"], r["search"])
            for r in await conn.fetch(
                "SELECT id, completed_at, version, search::text FROM tasks.tasks"
            )
        }
        counters = await conn.fetch("SELECT id, tasks_total, tasks_done FROM tasks.projects")
    finally:
        await conn.close()

    await asyncio.to_thread(run_alembic_upgrade, INI, url, "head")

    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        for pid in projects:
            rows = await conn.fetch(
                "SELECT name, category, position FROM tasks.project_statuses"
                " WHERE project_id = $1 ORDER BY position",
                pid,
            )
            assert [(r["name"], r["category"]) for r in rows] == [
                ("todo", "todo"),
                ("in_progress", "in_progress"),
                ("blocked", "in_progress"),
                ("done", "done"),
                ("cancelled", "cancelled"),
            ]
        tasks = await conn.fetch(
            "SELECT t.id, t.status, t.status_category, s.name, s.project_id, t.project_id AS tp,"
            " t.completed_at, t.version, t.search::text AS search"
            " FROM tasks.tasks t JOIN tasks.project_statuses s ON s.id = t.status_id"
        )
        assert len(tasks) == len(expected) == 12  # trashed tasks and trashed projects too
        for t in tasks:
            assert t["status"] == t["name"] == expected[t["id"]][0]
            assert t["project_id"] == t["tp"]
            assert t["status_category"] == {"blocked": "in_progress"}.get(t["status"], t["status"])
            assert (t["completed_at"], t["version"], t["search"]) == before[t["id"]]
        assert await conn.fetch("SELECT id, tasks_total, tasks_done FROM tasks.projects") == (
            counters
        )
        # The database refuses a task whose status belongs to another project.
        other = await conn.fetchval(
            "SELECT id FROM tasks.project_statuses WHERE project_id = $1 AND name = 'todo'",
            projects[1],
        )
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(
                "INSERT INTO tasks.tasks (id, project_id, number, title, status, status_id,"
                " status_category, created_by) VALUES ($1, $2, 99, 'x', 'todo', $3, 'todo', $4)",
                uuid.uuid4(), projects[0], other, owner,
            )  # fmt: skip
    finally:
        await conn.close()

    # And back: the old fixed statuses return, the tasks keep theirs.
    from alembic import command
    from alembic.config import Config

    def down() -> None:
        cfg = Config(str(INI), cmd_opts=argparse.Namespace(x=[f"url={url}"]))
        cfg.set_main_option("sqlalchemy.url", url)
        cfg.attributes["url"] = url
        cfg.attributes["configure_logger"] = False
        command.downgrade(cfg, "0002")

    await asyncio.to_thread(down)
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT id, status FROM tasks.tasks")
        assert {r["id"]: r["status"] for r in rows} == {k: v[0] for k, v in expected.items()}
    finally:
        await conn.close()


async def test_0005_back_fills_label_names_and_comments_into_search(
    old_database: FreshDatabase,
) -> None:
    """Tasks written before 0005 are found by their label names and live comments at once."""
    url = old_database.url_for("taskflow_tasks")
    await asyncio.to_thread(run_alembic_upgrade, INI, url, "0002")
    owner, pid, label = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    tasks = [uuid.uuid4() for _ in range(3)]
    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        await conn.execute(
            "INSERT INTO tasks.projects (id, key, name, created_by) VALUES ($1, 'BF', 'P', $2)",
            pid, owner,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO tasks.labels (id, project_id, name, colour)"
            " VALUES ($1, $2, 'Walrus', '#000000')",
            label, pid,
        )  # fmt: skip
        for i, tid in enumerate(tasks):
            await conn.execute(
                "INSERT INTO tasks.tasks (id, project_id, number, title, status, created_by,"
                " label_ids) VALUES ($1, $2, $3, 'Plain', 'todo', $4, $5)",
                tid, pid, i + 1, owner, [label] if i == 0 else [],
            )  # fmt: skip
        for tid, body, gone in (
            (tasks[1], "zeppelin at noon", False),
            (tasks[2], "albatross", True),
        ):
            await conn.execute(
                "INSERT INTO tasks.comments (id, task_id, project_id, author_id, body, deleted_at)"
                " VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)",
                uuid.uuid4(), tid, pid, owner, body, gone,
            )  # fmt: skip
    finally:
        await conn.close()

    await asyncio.to_thread(run_alembic_upgrade, INI, url, "head")

    conn = await asyncpg.connect(to_asyncpg_dsn(url))
    try:

        async def found(word: str) -> list[uuid.UUID]:
            rows = await conn.fetch(
                "SELECT id FROM tasks.tasks WHERE search @@ to_tsquery('english', $1)", word
            )
            return [r["id"] for r in rows]

        assert await found("walrus") == [tasks[0]]
        assert await found("zeppelin") == [tasks[1]]
        assert await found("albatross") == []  # a deleted comment is not searched
        # The triggers keep it so for rows written after the migration too.
        await conn.execute("UPDATE tasks.labels SET name = 'Narwhal' WHERE id = $1", label)
        assert await found("walrus") == []
        assert await found("narwhal") == [tasks[0]]
    finally:
        await conn.close()
