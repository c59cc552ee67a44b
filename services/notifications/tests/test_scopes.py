"""Scopes in the notifications service: every route declared, the matrix, an admin's weak token.

The WebSocket's scope (checked on its in-band auth message) is tested in test_live.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aio_pika
from notifications_testkit import created, snapshot, uid

from taskflow.events.topology import declare_exchange, declare_queue
from taskflow.notifications.worker import queue_spec
from taskflow.testing.scopes import ALL_ROLES, PROBES, PUBLIC, check_scope_matrix

NR, NW, ADMIN = {"notifications:read"}, {"notifications:write"}, {"admin"}

#: Who may call what, by scope. A new route fails the matrix until it is declared and listed.
POLICY: dict[tuple[str, str], Any] = {
    **PROBES,
    ("GET", "/api/v1/notifications/preferences"): NR,
    ("PUT", "/api/v1/notifications/preferences"): NW,
    ("GET", "/api/v1/notifications/deliveries"): ADMIN,
    ("POST", "/api/v1/notifications/deliveries/{delivery_id}/retry"): ADMIN,
    ("GET", "/api/v1/notifications/parked"): ADMIN,
    ("POST", "/api/v1/notifications/parked/replay"): ADMIN,
    ("GET", "/api/v1/notifications"): NR,
    ("GET", "/api/v1/notifications/unread-count"): NR,
    ("POST", "/api/v1/notifications/read-all"): NW,
    ("POST", "/api/v1/notifications/{notification_id}/read"): NW,
    ("DELETE", "/api/v1/notifications/{notification_id}"): NW,
    ("POST", "/api/v1/calendar/feed"): NW,
    # Calendar apps send no token: the secret in the URL is the credential.
    ("GET", "/api/v1/calendar/feeds/{secret}.ics"): PUBLIC,
    ("WEBSOCKET", "/api/v1/ws"): NR,
}


async def test_every_route_declares_its_scope_and_the_matrix_holds(
    app: Any, client: Any, mint_token: Callable[..., str], settings: Any, amqp_url: str
) -> None:
    async def token_for(scopes: frozenset[str]) -> str:
        return mint_token(str(uid()), roles=ALL_ROLES, scopes=sorted(scopes))

    # The parking routes read the real queue: declare it so that an allowed call can answer.
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await declare_exchange(channel, settings.events_exchange)
        await declare_queue(channel, exchange, queue_spec(settings))
    calls = await check_scope_matrix(
        client, app, POLICY, token_for, skip=[("WEBSOCKET", "/api/v1/ws")]
    )
    assert calls >= 11 * (len(POLICY) - len(PROBES) - 2)


async def test_an_admins_read_token_cannot_act_as_admin_or_change_anything(
    client: Any, apply: Any, mint_token: Callable[..., str]
) -> None:
    """An admin's script token with `notifications:read` reads its inbox, nothing more."""
    admin = uid()
    actor, proj = uid(), uid()
    await apply(created(snapshot(uid(), proj, creator=actor, assignees=[admin])), actor=actor)
    reader = {
        "Authorization": "Bearer "
        + mint_token(str(admin), roles=("admin", "user"), scopes=["notifications:read"])
    }
    r = await client.get("/api/v1/notifications", headers=reader)
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 1
    for method, path in [
        ("GET", "/api/v1/notifications/deliveries"),
        ("GET", "/api/v1/notifications/parked"),
        ("POST", "/api/v1/notifications/read-all"),
        ("POST", f"/api/v1/notifications/{items[0]['id']}/read"),
        ("DELETE", f"/api/v1/notifications/{items[0]['id']}"),
    ]:
        r = await client.request(method, path, headers=reader)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "insufficient_scope"
    # Still there, still unread.
    after = (await client.get("/api/v1/notifications", headers=reader)).json()["items"]
    assert [(i["id"], i["read_at"]) for i in after] == [(items[0]["id"], None)]
    admin_session = {"Authorization": "Bearer " + mint_token(str(admin), roles=("admin", "user"))}
    r = await client.get("/api/v1/notifications/deliveries", headers=admin_session)
    assert r.status_code == 200
