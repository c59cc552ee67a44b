"""Request-scoped session on real PostgreSQL, migrations, pagination and concurrency."""

import asyncio
import base64
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from common_testkit import AppFactory, client_for
from fastapi import APIRouter, FastAPI, Response
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from taskflow.common.concurrency import IfMatch, check_version, parse_if_match, set_etag
from taskflow.common.db import SessionDep, make_metadata
from taskflow.common.errors import Unprocessable
from taskflow.common.migrations import upgrade
from taskflow.common.pagination import (
    Page,
    PageParamsDep,
    decode_cursor,
    encode_cursor,
    keyset_filter,
)

metadata = make_metadata("svc")
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

router = APIRouter()


@router.post("/things/{name}")
async def create(name: str, db: SessionDep) -> dict[str, str]:
    await db.execute(things.insert().values(name=name))
    if name == "fail":
        raise RuntimeError("after the insert")
    return {"name": name}


@router.get("/things")
async def list_things(db: SessionDep, page: PageParamsDep) -> Page[dict[str, Any]]:
    q = select(things.c.name, things.c.id).order_by(things.c.name, things.c.id)
    if (after := page.after(length=2)) is not None:
        q = q.where(keyset_filter([things.c.name, things.c.id], after))
    rows = (await db.execute(q.limit(page.limit + 1))).mappings().all()
    return page.page([dict(r) for r in rows], key=lambda r: (r["name"], r["id"]))


@router.put("/things/{thing_id}")
async def update(
    thing_id: int, response: Response, db: SessionDep, if_match: IfMatch = None
) -> dict[str, int]:
    version = (
        await db.execute(select(things.c.version).where(things.c.id == thing_id))
    ).scalar_one()
    check_version(version, if_match)
    await db.execute(things.update().where(things.c.id == thing_id).values(version=version + 1))
    set_etag(response, version + 1)
    return {"version": version + 1}


@pytest.fixture(scope="module")
async def schema_ready(scratch_db: str) -> None:
    dsn = scratch_db.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS svc.things (id serial PRIMARY KEY, name text NOT NULL, "
            "version int NOT NULL DEFAULT 1, "
            "CONSTRAINT uq_things_name UNIQUE (name) DEFERRABLE INITIALLY DEFERRED)"
        )
    finally:
        await conn.close()


@pytest.fixture
async def app(make_app: AppFactory, schema_ready: None) -> FastAPI:
    a = make_app(router)
    async with a.state.db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE svc.things RESTART IDENTITY"))
    return a


async def _names(app: FastAPI) -> list[str]:
    async with app.state.db.engine.connect() as conn:
        return list((await conn.execute(text("SELECT name FROM things ORDER BY id"))).scalars())


async def test_session_commits_after_route_and_uses_schema(app: FastAPI) -> None:
    async with client_for(app) as c:
        assert (await c.post("/things/a")).status_code == 200
    assert await _names(app) == ["a"]
    async with app.state.db.engine.connect() as conn:
        settings = (await conn.execute(text("SHOW application_name"))).scalar()
    assert settings == "commontest"


async def test_route_error_rolls_back(app: FastAPI) -> None:
    async with client_for(app) as c:
        assert (await c.post("/things/fail")).status_code == 500
    assert await _names(app) == []


async def test_failed_commit_is_a_409_not_a_lost_200(app: FastAPI) -> None:
    """The unique constraint is deferred: it fails at COMMIT, after the route returned."""
    async with client_for(app) as c:
        assert (await c.post("/things/dup")).status_code == 200
        resp = await c.post("/things/dup")
    assert resp.status_code == 409, resp.text
    assert resp.json()["code"] == "conflict"
    assert "uq_things_name" not in resp.text  # no SQL details
    assert await _names(app) == ["dup"]


async def test_keyset_pagination_over_real_rows(app: FastAPI) -> None:
    async with client_for(app) as c:
        for n in ["d", "a", "c", "b", "e"]:
            await c.post(f"/things/{n}")
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = (await c.get("/things", params=params)).json()
            seen += [i["name"] for i in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == ["a", "b", "c", "d", "e"]
        assert pages == 3
        bad = await c.get("/things", params={"cursor": "not-a-cursor!"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_cursor"
        assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]
        assert (await c.get("/things", params={"limit": 201})).status_code == 422
        wrong_len = await c.get("/things", params={"cursor": encode_cursor("a")})
        assert wrong_len.json()["code"] == "invalid_cursor"


def test_cursor_round_trips_types() -> None:
    values = [
        dt.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC),
        dt.date(2026, 1, 2),
        uuid.uuid4(),
        Decimal("12.340"),
        "text",
        7,
        None,
        True,
    ]
    back = decode_cursor(encode_cursor(*values))
    assert back == values
    assert [type(v) for v in back] == [type(v) for v in values]
    bad_date = base64.urlsafe_b64encode(b'[{"$dt": "nope"}]').decode()
    for forged in ["", "e30", "W10", "eyJhIjogMX0", bad_date, "%%%"]:
        with pytest.raises(Unprocessable):
            decode_cursor(forged)
    with pytest.raises(Unprocessable):
        decode_cursor(encode_cursor("x")[:-2] + "{{")


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("*", None), ('"3"', 3), ('W/"3"', 3), ("3", 3), (' "12" ', 12)],
)
def test_parse_if_match(header: str | None, expected: int | None) -> None:
    assert parse_if_match(header) == expected


@pytest.mark.parametrize("header", ['"abc"', '"3", "4"', "3.5", '"-1"'])
def test_parse_if_match_rejects_garbage(header: str) -> None:
    with pytest.raises(Unprocessable) as info:
        parse_if_match(header)
    assert info.value.extra["errors"][0]["loc"] == ["header", "If-Match"]


async def test_if_match_through_a_route(app: FastAPI) -> None:
    async with client_for(app) as c:
        await c.post("/things/v")
        ok = await c.put("/things/1", headers={"If-Match": '"1"'})
        assert ok.status_code == 200
        assert ok.headers["etag"] == '"2"'
        stale = await c.put("/things/1", headers={"If-Match": '"1"'})
        assert stale.status_code == 412
        assert stale.json()["code"] == "precondition_failed"
        assert stale.json()["current_version"] == 2
        bad = await c.put("/things/1", headers={"If-Match": "nope"})
        assert bad.status_code == 422
        assert (await c.put("/things/1")).status_code == 200  # absent: no check


ENV_PY = """
from taskflow.common.migrations import run_migrations
from sqlalchemy import MetaData
run_migrations(MetaData(schema="mig"), "mig")
"""
VERSION = """
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
from alembic import op
import sqlalchemy as sa
def upgrade():
    op.create_table("widgets", sa.Column("id", sa.Integer, primary_key=True))
def downgrade():
    op.drop_table("widgets")
"""


async def test_upgrade_from_inside_a_running_loop(scratch_db: str, tmp_path: Path) -> None:
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text(ENV_PY)
    (tmp_path / "migrations" / "versions" / "0001_widgets.py").write_text(VERSION)
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = migrations\n")
    dsn = scratch_db.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE SCHEMA IF NOT EXISTS mig")
        upgrade(tmp_path / "alembic.ini", scratch_db)  # sync call while our loop runs
        await asyncio.to_thread(upgrade, tmp_path / "alembic.ini", scratch_db)  # idempotent
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mig' ORDER BY 1"
        )
        assert [t["table_name"] for t in tables] == ["alembic_version", "widgets"]
        assert await conn.fetchval("SELECT version_num FROM mig.alembic_version") == "0001"
    finally:
        await conn.close()


def test_metadata_naming_convention() -> None:
    md: MetaData = make_metadata("x")
    assert md.schema == "x"
    assert md.naming_convention["uq"] == "uq_%(table_name)s_%(column_0_N_name)s"
