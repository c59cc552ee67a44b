"""A request's trace and request id reach every event it writes (through the real app)."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.common.logging import configure_logging


async def test_each_event_of_a_request_carries_its_trace_and_request_id(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    make_user: Callable[..., Any],
    make_project: Callable[..., Any],
) -> None:
    owner, member = await make_user(), await make_user()
    project = await make_project(owner)
    await project.add(member, "member")
    trace = secrets.token_hex(16)
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    r = await client.post(
        f"/api/v1/projects/{project.id}/tasks",
        json={"title": "Follow me", "assignee_ids": [str(member.id)]},
        headers={
            **owner.h,
            "traceparent": f"00-{trace}-b7ad6b7169203331-01",
            "X-Request-ID": "req-follow-1",
        },
    )
    assert r.status_code == 201, r.text
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT event_type, envelope ->> 'traceparent', envelope ->> 'requestid'"
                    " FROM tasks.outbox WHERE aggregate_id = :task ORDER BY id"
                ),
                {"task": r.json()["id"]},
            )
        ).all()
        earlier = (
            await conn.execute(
                text("SELECT envelope ->> 'requestid' FROM tasks.outbox WHERE event_type = :t"),
                {"t": "project.member_added"},
            )
        ).scalars()
    assert "task.created" in [row[0] for row in rows]
    assert {(row[1].split("-")[1], row[2]) for row in rows} == {(trace, "req-follow-1")}
    # The request before it (adding the member) had its own request id, not this one.
    assert "req-follow-1" not in list(earlier)
    access = [json.loads(line) for line in stream.getvalue().splitlines()]
    request = next(x for x in access if x["event"] == "request" and x["status"] == 201)
    assert (request["trace_id"], request["request_id"]) == (trace, "req-follow-1")
