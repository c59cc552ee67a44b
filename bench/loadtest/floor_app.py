"""The floor: a bare Starlette app serving the tasks service's own SQL through asyncpg.

No token check, no middleware, no ORM, no validation: the caller names itself in `X-User-Id`,
the app runs the statement the tasks service would run for that caller and answers the rows
with orjson. Started by the load driver with uvicorn (as many processes as the tasks api) and
put behind an nginx with the gateway's proxy settings, it is what Python alone can do on this
machine for the same work; the gateway's figure is read against it.

Settings come from the environment: FLOOR_DSN (asyncpg DSN) and FLOOR_SQL (a JSON file of the
list statement per "user|project", written by the driver from the service's `list_statement`).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DETAIL_SQL = """
SELECT t.* FROM tasks.tasks t
WHERE t.id = $1 AND t.deleted_at IS NULL AND EXISTS (
  SELECT 1 FROM tasks.project_members m WHERE m.project_id = t.project_id AND m.user_id = $2)
"""

state: dict[str, Any] = {}
STATEMENTS: dict[str, str] = (
    json.loads(Path(os.environ["FLOOR_SQL"]).read_text()) if "FLOOR_SQL" in os.environ else {}
)


def _json(payload: Any, status: int = 200) -> Response:
    # default=str: asyncpg's own UUID type is not uuid.UUID, and the API answers ids as strings.
    body = orjson.dumps(payload, default=str)
    return Response(body, status_code=status, media_type="application/json")


def _row(record: asyncpg.Record) -> dict[str, Any]:
    row = dict(record)
    row.pop("search", None)  # the tsvector is not part of an answer
    row.pop("search_extra", None)
    return row


async def task_list(request: Request) -> Response:
    user, project = request.headers["x-user-id"], request.path_params["project_id"]
    sql = state["sql"].get(f"{user}|{project}")
    if sql is None:
        return _json({"detail": "not a member"}, 404)
    async with state["pool"].acquire() as conn:
        rows = await conn.fetch(sql)
    return _json({"items": [_row(r) for r in rows], "next_cursor": None})


async def task_detail(request: Request) -> Response:
    user = uuid.UUID(request.headers["x-user-id"])
    task = uuid.UUID(request.path_params["task_id"])
    async with state["pool"].acquire() as conn:
        row = await conn.fetchrow(DETAIL_SQL, task, user)
    if row is None:
        return _json({"detail": "not found"}, 404)
    return _json(_row(row))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    state["sql"] = STATEMENTS
    state["pool"] = await asyncpg.create_pool(os.environ["FLOOR_DSN"], min_size=2, max_size=10)
    yield
    await state["pool"].close()


app = Starlette(
    routes=[
        Route("/floor/projects/{project_id}/tasks", task_list),
        Route("/floor/tasks/{task_id}", task_detail),
    ],
    lifespan=lifespan,
)
