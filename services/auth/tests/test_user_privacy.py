"""Whose email a caller sees: their own, co-members' (a shared project), everyone's for admins.

Played as a stranger (an account that shares no project with anyone): profiles come without
the email, exact and partial searches find nobody, and an address with an account answers
exactly like one without.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import aio_pika
from auth_testkit import Api, bearer
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from taskflow.auth.config import Settings
from taskflow.auth.memberships.handlers import handle_membership_event
from taskflow.auth.worker import run_worker
from taskflow.events.contracts.projects import ProjectMemberAdded, ProjectMemberRemoved
from taskflow.events.envelope import Envelope
from taskflow.testing import wait_until


async def _apply(engine: AsyncEngine, event: Any) -> None:
    async with async_sessionmaker(engine)() as session, session.begin():
        await handle_membership_event(session, None, event)


def _added(project: uuid.UUID, user: dict[str, Any]) -> ProjectMemberAdded:
    return ProjectMemberAdded(project_id=project, user_id=uuid.UUID(user["id"]), role="member")


async def _team(api: Api) -> dict[str, Any]:
    """Alice and Bob share a project; Carol is in another one; Mallory shares nothing."""
    people: dict[str, Any] = {}
    for name in ("Alice", "Bob", "Carol", "Mallory"):
        user = await api.register(name=f"{name} Example")
        pair = (await api.login(user["email"])).json()
        people[name.lower()] = (user, pair)
    shared, other = uuid.uuid4(), uuid.uuid4()
    await _apply(api.engine, _added(shared, people["alice"][0]))
    await _apply(api.engine, _added(shared, people["bob"][0]))
    await _apply(api.engine, _added(other, people["carol"][0]))
    people["shared"] = shared
    return people


async def _search(api: Api, pair: dict[str, Any], **params: str) -> list[str]:
    r = await api.client.get("/api/v1/users", params=params, headers=bearer(pair))
    assert r.status_code == 200, r.text
    return sorted(item["email"] for item in r.json()["items"])


async def test_a_stranger_harvests_no_email(api: Api) -> None:
    team = await _team(api)
    alice, mallory = team["alice"][0], team["mallory"][1]

    r = await api.client.get(f"/api/v1/users/{alice['id']}", headers=bearer(mallory))
    assert r.status_code == 200
    assert r.json()["email"] is None
    assert r.json()["display_name"] == "Alice Example"

    # Exact address: a registered one answers exactly like one that has no account.
    known = await api.client.get(
        "/api/v1/users", params={"email": alice["email"]}, headers=bearer(mallory)
    )
    unknown = await api.client.get(
        "/api/v1/users", params={"email": "nobody-" + alice["email"]}, headers=bearer(mallory)
    )
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json() == {"items": [], "next_cursor": None}

    # Partial text: nothing but oneself.
    assert await _search(api, mallory, q="Example") == [team["mallory"][0]["email"]]
    assert await _search(api, mallory, q="example.com") == [team["mallory"][0]["email"]]


async def test_co_members_see_each_other_and_only_each_other(api: Api) -> None:
    team = await _team(api)
    (alice, alice_pair), (bob, bob_pair) = team["alice"], team["bob"]
    carol = team["carol"][0]

    r = await api.client.get(f"/api/v1/users/{alice['id']}", headers=bearer(bob_pair))
    assert r.json()["email"] == alice["email"]
    r = await api.client.get(f"/api/v1/users/{carol['id']}", headers=bearer(bob_pair))
    assert r.json()["email"] is None
    assert await _search(api, bob_pair, q="Example") == sorted([alice["email"], bob["email"]])
    assert await _search(api, bob_pair, email=alice["email"]) == [alice["email"]]
    assert await _search(api, bob_pair, email=carol["email"]) == []

    # Bob leaves the project: Alice's address is no longer his to see.
    await _apply(
        api.engine,
        ProjectMemberRemoved(
            project_id=team["shared"], user_id=uuid.UUID(bob["id"]), role="member"
        ),
    )
    r = await api.client.get(f"/api/v1/users/{alice['id']}", headers=bearer(bob_pair))
    assert r.json()["email"] is None
    assert await _search(api, bob_pair, q="Example") == [bob["email"]]
    assert await _search(api, alice_pair, q="Example") == [alice["email"]]


async def test_admins_see_everyone(api: Api) -> None:
    team = await _team(api)
    _, admin = await api.make_admin()
    carol = team["carol"][0]
    r = await api.client.get(f"/api/v1/users/{carol['id']}", headers=bearer(admin))
    assert r.json()["email"] == carol["email"]
    found = await _search(api, admin, q="Example")
    assert {team[n][0]["email"] for n in ("alice", "bob", "carol", "mallory")} <= set(found)
    # An auditor is not an admin: the auditor sees like any user.
    _, auditor = await api.make_admin("auditor")
    r = await api.client.get(f"/api/v1/users/{carol['id']}", headers=bearer(auditor))
    assert r.json()["email"] is None


async def test_the_worker_keeps_the_membership_projection_from_events(
    api: Api, amqp_url: str, make_settings: Callable[..., Settings]
) -> None:
    """project.member_added / removed published on RabbitMQ reach auth's projection."""
    (alice, _), (bob, bob_pair) = [
        (u, (await api.login(u["email"])).json())
        for u in (await api.register(), await api.register())
    ]
    project = uuid.uuid4()
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(make_settings(amqp_url=SecretStr(amqp_url)), stop=stop))
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            "taskflow.events", aio_pika.ExchangeType.TOPIC, durable=True
        )

        async def publish(event: Any) -> None:
            envelope = Envelope.wrap(event, source="taskflow/tasks", actor_id=None)
            await exchange.publish(
                aio_pika.Message(
                    envelope.to_bytes(),
                    message_id=str(envelope.id),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=envelope.type,
                mandatory=False,
            )

        async def bob_sees_alice() -> bool:
            r = await api.client.get(f"/api/v1/users/{alice['id']}", headers=bearer(bob_pair))
            return bool(r.json()["email"] == alice["email"])

        async def queue_is_bound() -> bool:
            # A passive declare of a missing queue closes its channel: use a throwaway one.
            probe = await connection.channel()
            try:
                await probe.get_queue("auth.memberships", ensure=True)
            except Exception:
                return False
            finally:
                if not probe.is_closed:
                    await probe.close()
            return True

        await wait_until(queue_is_bound, timeout=30)
        for user in (alice, bob):
            await publish(_added(project, user))
        await wait_until(bob_sees_alice, timeout=30)
        await publish(
            ProjectMemberRemoved(project_id=project, user_id=uuid.UUID(bob["id"]), role="member")
        )

        async def bob_no_longer_sees_alice() -> bool:
            return not await bob_sees_alice()

        await wait_until(bob_no_longer_sees_alice, timeout=30)
    finally:
        await connection.close()
        stop.set()
        await asyncio.wait_for(worker, timeout=30)
