"""Scopes in the audit service: every route declared, the matrix, and an admin's weak token."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import aio_pika

from taskflow.audit.worker import queue_spec
from taskflow.events.topology import declare_exchange, declare_queue
from taskflow.testing.scopes import ALL_ROLES, PROBES, check_scope_matrix

READ, WRITE, ADMIN = {"audit:read"}, {"audit:write"}, {"admin"}

#: Who may call what, by scope (the roles `auditor`/`admin` are checked after the scope).
POLICY: dict[tuple[str, str], Any] = {
    **PROBES,
    ("GET", "/api/v1/audit/events"): READ,
    ("GET", "/api/v1/audit/events/{event_id}"): READ,
    ("GET", "/api/v1/audit/verify"): READ,
    ("GET", "/api/v1/audit/export"): READ,
    ("GET", "/api/v1/audit/reports/compliance"): READ,
    ("GET", "/api/v1/audit/retention"): READ,
    ("PUT", "/api/v1/audit/retention"): WRITE,
    ("GET", "/api/v1/audit/legal-holds"): READ,
    ("POST", "/api/v1/audit/legal-holds/{project_id}"): WRITE,
    ("DELETE", "/api/v1/audit/legal-holds/{project_id}"): WRITE,
    ("GET", "/api/v1/audit/admin/parked"): ADMIN,
    ("POST", "/api/v1/audit/admin/parked/replay"): ADMIN,
}


async def test_every_route_declares_its_scope_and_the_matrix_holds(
    app: Any, client: Any, mint_token: Callable[..., str], settings: Any, amqp_url: str
) -> None:
    async def token_for(scopes: frozenset[str]) -> str:
        return mint_token(uuid.uuid4(), roles=ALL_ROLES, scopes=sorted(scopes))

    # The parking routes read real queues: declare them so that an allowed call can answer.
    spec = queue_spec(settings)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await declare_queue(
            channel, await declare_exchange(channel, settings.events_exchange), spec
        )
        try:
            assert await check_scope_matrix(client, app, POLICY, token_for) >= 11 * (
                len(POLICY) - len(PROBES)
            )
        finally:
            for name in (spec.name, spec.dlq, *(q for q, _ in spec.retry_queues)):
                await channel.queue_delete(name)


async def test_an_admins_tasks_token_cannot_read_the_log_or_act_as_admin(
    client: Any, mint_token: Callable[..., str], h: Any, owner_engine: Any
) -> None:
    """An admin's script token made with `tasks:read` is refused everywhere in audit."""
    await h.seed(owner_engine, [h.item(1)])
    admin_id = uuid.uuid4()
    weak = {
        "Authorization": "Bearer "
        + mint_token(admin_id, roles=("admin", "user"), scopes=["tasks:read"])
    }
    for method, path in [
        ("GET", "/api/v1/audit/events"),
        ("GET", "/api/v1/audit/export"),
        ("GET", "/api/v1/audit/verify"),
        ("GET", "/api/v1/audit/admin/parked"),
    ]:
        r = await client.request(method, path, headers=weak)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "insufficient_scope"
    r = await client.put("/api/v1/audit/retention", json={"days": 400}, headers=weak)
    assert r.status_code == 403
    # With `audit:read` the same admin reads the log, and still may not change retention.
    reader = {
        "Authorization": "Bearer "
        + mint_token(admin_id, roles=("admin", "user"), scopes=["audit:read"])
    }
    r = await client.get("/api/v1/audit/events", headers=reader)
    assert r.status_code == 200
    assert len(r.json()["items"]) == 1
    before = (await client.get("/api/v1/audit/retention", headers=reader)).json()
    r = await client.put("/api/v1/audit/retention", json={"days": 400}, headers=reader)
    assert r.status_code == 403
    assert r.json()["required_scopes"] == ["audit:write"]
    assert (await client.get("/api/v1/audit/retention", headers=reader)).json() == before


async def test_the_scope_does_not_replace_the_role(
    client: Any, mint_token: Callable[..., str]
) -> None:
    """A plain user's token that names `audit:read` (auth never mints one) is still refused."""
    forged = {
        "Authorization": "Bearer "
        + mint_token(uuid.uuid4(), roles=("user",), scopes=["audit:read"])
    }
    r = await client.get("/api/v1/audit/events", headers=forged)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
