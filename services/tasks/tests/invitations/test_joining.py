"""Invitations honoured, or not: revoked ones, a verified address joining every project it was
invited to, a member already and a project in the trash.

Joining is exercised through the users handler the worker runs (`handle_user_event`) in a
transaction of its own, as the consumer does; the broker path is in test_worker.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest_asyncio
from tasks_testkit import invite

from taskflow.common.db import Database
from taskflow.events.contracts.users import UserRegistered, UserUpdated
from taskflow.events.envelope import Envelope
from taskflow.tasks.users.handlers import handle_user_event


@pytest_asyncio.fixture
async def verified(settings: Any) -> AsyncIterator[Callable[..., Any]]:
    """`await verified(user_id, email)`: auth reports that account's address verified."""
    db = Database(settings)

    async def deliver(
        user_id: uuid.UUID, email: str, *, is_verified: bool = True, registered: bool = False
    ) -> None:
        if registered:
            event: Any = UserRegistered(
                user_id=user_id, email=email, display_name="Grace", email_verified=is_verified
            )
        else:
            event = UserUpdated(
                user_id=user_id,
                changes={},
                email=email,
                display_name="Grace",
                timezone="UTC",
                locale="en",
                email_verified=is_verified,
                roles=["user"],
            )
        envelope = Envelope.wrap(event, source="taskflow/auth", actor_id=user_id)
        async with db.sessionmaker.begin() as session:
            await handle_user_event(session, envelope, event)

    yield deliver
    await db.dispose()


async def test_revoke_by_admins_only_and_not_honoured(
    client, make_user, make_project, outbox, sql, verified
):
    ann, vic, mel = await make_user("ann"), await make_user("vic"), await make_user("mel")
    p = await make_project(ann)
    await p.add(vic, "viewer")
    await p.add(mel, "member")
    other_admin = await make_user("oscar")
    other = await make_project(other_admin)
    stranger = await make_user("sam")
    await invite(client, p, ann, "grace@example.com")
    await invite(client, other, other_admin, "hank@example.com")
    (inv,) = [r[0] for r in await sql("SELECT id FROM tasks.invitations WHERE project_id = :p",
                                        p=p.id)]  # fmt: skip
    (foreign,) = [r[0] for r in await sql("SELECT id FROM tasks.invitations WHERE project_id = :p",
                                            p=other.id)]  # fmt: skip
    url = f"/api/v1/projects/{p.id}/invitations/{inv}"

    for who, code in ((mel, 403), (vic, 403), (stranger, 404), (other_admin, 404)):
        r = await client.delete(url, headers=who.h)
        assert r.status_code == code, (who.email, r.text)
    # Another project's invitation cannot be reached through ours.
    r = await client.delete(f"/api/v1/projects/{p.id}/invitations/{foreign}", headers=ann.h)
    assert r.status_code == 404
    assert r.json()["code"] == "invitation_not_found"
    assert (await sql("SELECT state FROM tasks.invitations WHERE id = :i", i=foreign)) == [
        ("pending",)
    ]
    assert (await sql("SELECT state FROM tasks.invitations WHERE id = :i", i=inv)) == [("pending",)]

    r = await client.delete(url, headers=ann.h)
    assert r.status_code == 204, r.text
    assert (await client.delete(url, headers=ann.h)).status_code == 404
    rows = await sql("SELECT state, revoked_by FROM tasks.invitations WHERE id = :i", i=inv)
    assert rows == [("revoked", ann.id)]
    revoked = await outbox("project.invitation_revoked")
    assert revoked == [
        ("project.invitation_revoked",
         {"project_id": str(p.id), "invitation_id": str(inv), "email": "grace@example.com"})
    ]  # fmt: skip
    r = await client.get(f"/api/v1/projects/{p.id}/invitations", headers=ann.h)
    assert r.json()["items"] == []

    # Grace registers and verifies: the revoked invitation is not honoured.
    grace = uuid.uuid4()
    await verified(grace, "grace@example.com")
    assert not await sql("SELECT 1 FROM tasks.project_members WHERE user_id = :u", u=grace)


async def test_a_verified_address_joins_every_project_it_was_invited_to_once(
    client, make_user, make_project, outbox, sql, verified
):
    ann, bob = await make_user("ann"), await make_user("bob")
    p1, p2 = await make_project(ann), await make_project(bob)
    expired = await make_project(ann)
    await invite(client, p1, ann, "grace@example.com", "admin")
    await invite(client, p2, bob, "Grace@example.com", "viewer")
    await invite(client, expired, ann, "grace@example.com")
    await sql("UPDATE tasks.invitations SET expires_at = now() - interval '1 second'"
              " WHERE project_id = :p", p=expired.id)  # fmt: skip
    grace = uuid.uuid4()

    # Registered, not verified yet: nothing.
    await verified(grace, "grace@example.com", is_verified=False, registered=True)
    assert not await sql("SELECT 1 FROM tasks.project_members WHERE user_id = :u", u=grace)

    await verified(grace, "GRACE@example.com")
    rows = await sql(
        "SELECT project_id, role FROM tasks.project_members WHERE user_id = :u", u=grace
    )
    assert {(r[0], r[1]) for r in rows} == {(uuid.UUID(p1.id), "admin"), (uuid.UUID(p2.id),
                                                                         "viewer")}  # fmt: skip
    states = dict(await sql("SELECT project_id, state FROM tasks.invitations"))
    assert states[uuid.UUID(expired.id)] == "pending"  # expired: not honoured
    assert states[uuid.UUID(p1.id)] == states[uuid.UUID(p2.id)] == "accepted"

    added = [d for _, d in await outbox("project.member_added") if d["user_id"] == str(grace)]
    assert sorted(d["role"] for d in added) == ["admin", "viewer"]
    # The member_added actor is the inviter (so notifications say who added them).
    actors = await sql(
        "SELECT envelope->'data'->>'project_id', envelope->>'actorid' FROM tasks.outbox"
        " WHERE event_type = 'project.member_added' AND envelope->'data'->>'user_id' = :u",
        u=str(grace),
    )
    assert dict(actors) == {p1.id: str(ann.id), p2.id: str(bob.id)}
    accepted = await outbox("project.invitation_accepted")
    assert {(d["project_id"], d["user_id"], d["already_member"]) for _, d in accepted} == {
        (p1.id, str(grace), False),
        (p2.id, str(grace), False),
    }
    acts = await sql(
        "SELECT actor_id FROM tasks.activity WHERE project_id = :p"
        " AND action = 'project.member_added' AND changes->'user_id'->>'after' = :u",
        p=p1.id,
        u=str(grace),
    )
    assert acts == [(ann.id,)]

    # Another verified event (a profile change, a redelivery) joins nothing twice.
    await verified(grace, "grace@example.com")
    assert len(await outbox("project.invitation_accepted")) == 2
    count = await sql("SELECT count(*) FROM tasks.project_members WHERE user_id = :u", u=grace)
    assert count[0][0] == 2
    # Grace is now a member: the project's admin sees her in the members list.
    r = await client.get(f"/api/v1/projects/{p1.id}/members", headers=ann.h)
    assert str(grace) in {m["user_id"] for m in r.json()["items"]}


async def test_a_member_already_and_a_project_in_the_trash(
    client, make_user, make_project, outbox, sql, verified
):
    ann = await make_user("ann")
    p, trashed = await make_project(ann), await make_project(ann)
    await invite(client, p, ann, "grace@example.com", "admin")
    await invite(client, trashed, ann, "grace@example.com")
    assert (await client.delete(f"/api/v1/projects/{trashed.id}", headers=ann.h)).status_code == 204
    grace = uuid.uuid4()
    # She joined p meanwhile by another way (added by id once the projection knew her).
    await sql("INSERT INTO tasks.users (id, email, display_name) VALUES (:u, 'g@x.org', 'G')",
              u=grace)  # fmt: skip
    r = await client.post(
        f"/api/v1/projects/{p.id}/members", json={"user_id": str(grace)}, headers=ann.h
    )
    assert r.status_code == 201
    await verified(grace, "grace@example.com")
    roles = await sql("SELECT project_id, role FROM tasks.project_members WHERE user_id = :u",
                      u=grace)  # fmt: skip
    assert roles == [(uuid.UUID(p.id), "member")]  # kept, not changed behind anyone's back
    accepted = await outbox("project.invitation_accepted")
    assert [(d["project_id"], d["already_member"]) for _, d in accepted] == [(p.id, True)]
    # The trashed project's invitation waits (a restore brings the project back).
    state = await sql("SELECT state FROM tasks.invitations WHERE project_id = :p", p=trashed.id)
    assert state == [("pending",)]
