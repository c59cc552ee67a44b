"""The read session (`ReadSessionDep`): plain statements without BEGIN/COMMIT, and reads only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import ReadSessionDep, SessionDep

pytestmark = pytest.mark.timeout(60)

router = APIRouter()

# Two statements of one transaction see the same transaction id; statements on their own, two.
XID = text("SELECT txid_current()")


async def _on_their_own(db: AsyncSession) -> bool:
    return (await db.execute(XID)).scalar_one() != (await db.execute(XID)).scalar_one()


@router.get("/read")
async def read(db: ReadSessionDep) -> dict[str, bool]:
    return {"own": await _on_their_own(db)}


@router.get("/in-transaction")
async def in_transaction(db: SessionDep) -> dict[str, bool]:
    return {"own": await _on_their_own(db)}


@router.post("/sneaky-write")
async def sneaky_write(db: ReadSessionDep) -> dict[str, bool]:
    await db.execute(text("CREATE TEMP TABLE read_session_probe (x int)"))
    return {"wrote": True}


async def test_a_read_session_runs_each_statement_on_its_own(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/read")).json() == {"own": True}
        # The control: the ordinary request session runs its statements after a BEGIN.
        assert (await c.get("/in-transaction")).json() == {"own": False}


async def test_a_read_session_refuses_anything_but_a_select(
    make_app: Callable[..., FastAPI],
) -> None:
    app = make_app(router)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.post("/sneaky-write")
        assert r.status_code == 500
        assert r.headers["content-type"].startswith("application/problem+json")
        # The connection went back to the pool in its ordinary mode: a transaction again.
        assert (await c.get("/in-transaction")).json() == {"own": False}
