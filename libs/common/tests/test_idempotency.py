"""Idempotency-Key against real Redis and PostgreSQL."""

import asyncio
from typing import Any

import asyncpg
import pytest
from common_testkit import AppFactory, Keys, client_for
from fastapi import APIRouter, FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import text

from taskflow.common.db import SessionDep
from taskflow.common.idempotency import IdempotencyDep

router = APIRouter()
gate: dict[str, asyncio.Event] = {}


class NoteIn(BaseModel):
    body: str


@router.post("/notes", status_code=201)
async def create_note(payload: NoteIn, db: SessionDep, idem: IdempotencyDep) -> Response:
    if payload.body == "slow":
        gate["entered"].set()
        await gate["release"].wait()
    row = (
        await db.execute(
            text("INSERT INTO notes (body) VALUES (:b) RETURNING id"), {"b": payload.body}
        )
    ).one()
    if payload.body == "explode":
        raise RuntimeError("boom")
    return await idem.respond(
        db,
        {"id": row.id, "body": payload.body},
        status_code=201,
        headers={"Location": f"/notes/{row.id}"},
    )


@pytest.fixture(scope="module")
async def notes_table(scratch_db: str) -> None:
    conn = await asyncpg.connect(scratch_db.replace("+asyncpg", ""))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS svc.notes (id serial PRIMARY KEY, body text)"
        )
    finally:
        await conn.close()


@pytest.fixture
async def app(make_app: AppFactory, notes_table: None) -> FastAPI:
    a = make_app(router)
    async with a.state.db.engine.begin() as conn:
        await conn.execute(text("TRUNCATE notes RESTART IDENTITY"))
    return a


async def _count(app: FastAPI) -> int:
    async with app.state.db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM notes"))).scalar_one())


def _auth(keys: Keys, sub: str = "6f1c2a84-5f8e-4a8c-9d0b-1e2f3a4b5c6d") -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.mint(sub=sub)}"}


async def test_retried_create_returns_first_result_and_creates_one_row(
    app: FastAPI, keys: Keys
) -> None:
    headers = {**_auth(keys), "Idempotency-Key": "create-1"}
    async with client_for(app) as c:
        first = await c.post("/notes", json={"body": "hello"}, headers=headers)
        second = await c.post("/notes", json={"body": "hello"}, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["idempotent-replayed"] == "true"
    assert await _count(app) == 1


async def test_same_key_different_body_is_422(app: FastAPI, keys: Keys) -> None:
    headers = {**_auth(keys), "Idempotency-Key": "create-2"}
    async with client_for(app) as c:
        await c.post("/notes", json={"body": "one"}, headers=headers)
        resp = await c.post("/notes", json={"body": "two"}, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["code"] == "idempotency_key_reused"
    assert await _count(app) == 1


async def test_keys_are_scoped_per_principal(app: FastAPI, keys: Keys) -> None:
    async with client_for(app) as c:
        a = await c.post(
            "/notes", json={"body": "x"}, headers={**_auth(keys), "Idempotency-Key": "k"}
        )
        b = await c.post(
            "/notes",
            json={"body": "x"},
            headers={**_auth(keys, "0b7c9d2e-1111-4a8c-9d0b-1e2f3a4b5c6d"), "Idempotency-Key": "k"},
        )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert await _count(app) == 2


async def test_concurrent_duplicate_gets_409(app: FastAPI, keys: Keys) -> None:
    gate["entered"] = asyncio.Event()
    gate["release"] = asyncio.Event()
    headers = {**_auth(keys), "Idempotency-Key": "slow-1"}
    async with client_for(app) as c:
        first = asyncio.create_task(c.post("/notes", json={"body": "slow"}, headers=headers))
        await asyncio.wait_for(gate["entered"].wait(), 5)
        dup = await c.post("/notes", json={"body": "slow"}, headers=headers)
        gate["release"].set()
        done = await first
    assert dup.status_code == 409
    assert dup.json()["code"] == "idempotency_in_progress"
    assert done.status_code == 201
    assert await _count(app) == 1


async def test_failed_request_releases_the_key(app: FastAPI, keys: Keys) -> None:
    headers = {**_auth(keys), "Idempotency-Key": "explode-1"}
    async with client_for(app) as c:
        assert (
            await c.post("/notes", json={"body": "explode"}, headers=headers)
        ).status_code == 500
        again = await c.post("/notes", json={"body": "explode"}, headers=headers)
    assert again.status_code == 500  # ran again (not 409, not a replay)
    assert await _count(app) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
async def test_invalid_keys(app: FastAPI, key: str) -> None:
    async with client_for(app) as c:
        resp = await c.post("/notes", json={"body": "b"}, headers={"Idempotency-Key": key.encode()})
    assert resp.status_code == 422
    assert resp.json()["code"] == "invalid_idempotency_key"


async def test_without_key_each_request_creates(app: FastAPI) -> None:
    async with client_for(app) as c:
        for _ in range(2):
            assert (await c.post("/notes", json={"body": "anon"})).status_code == 201
    assert await _count(app) == 2


async def test_keys_live_under_the_prefix(app: FastAPI, keys: Keys, rprefix: str) -> None:
    async with client_for(app) as c:
        await c.post("/notes", json={"body": "p"}, headers={**_auth(keys), "Idempotency-Key": "pp"})
    found: list[Any] = [k async for k in app.state.redis.scan_iter(match=f"{rprefix}:idem:*")]
    assert found
