"""Invitations of addresses without an account: made through `POST .../members`, listed and
revoked by project admins, honoured by the worker when auth reports the address verified.

Joining is exercised through the users handler the worker runs (`handle_user_event`) in a
transaction of its own, as the consumer does; the broker path is in test_worker.py.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest_asyncio

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


async def _invite(client: Any, project: Any, who: Any, email: str, role: str = "member") -> Any:
    return await client.post(
        f"/api/v1/projects/{project.id}/members", json={"email": email, "role": role}, headers=who.h
    )


def _token(outbox_rows: list[tuple[str, dict[str, Any]]]) -> str:
    url = outbox_rows[-1][1]["invite_url"]
    return parse_qs(urlsplit(url).query)["invite"][0]


async def test_an_address_without_account_is_invited_with_the_same_answer(
    client, make_user, make_project, outbox, sql
):
    """202 with the body an existing account gets; a pending row, a mail, no token leaked."""
    ann, dan = await make_user("ann"), await make_user("dan")
    p = await make_project(ann, name="Operations")
    known = await _invite(client, p, ann, dan.email)
    unknown = await _invite(client, p, ann, "  Grace@Example.COM ", role="admin")
    assert known.status_code == unknown.status_code == 202, unknown.text
    assert known.json() == unknown.json()
    assert known.headers["content-type"] == unknown.headers["content-type"]

    rows = await sql(
        "SELECT email, role, state, invited_by, token_hash, expires_at - created_at"
        " FROM tasks.invitations WHERE project_id = :p",
        p=p.id,
    )
    assert len(rows) == 1
    email, role, state, invited_by, digest, ttl = rows[0]
    assert (email, role, state, invited_by) == ("grace@example.com", "admin", "pending", ann.id)
    assert ttl.days == 14
    # Dan (an account) was added, Grace (none) was not: she is only invited.
    members = await sql("SELECT user_id FROM tasks.project_members WHERE project_id = :p", p=p.id)
    assert {r[0] for r in members} == {ann.id, dan.id}

    created = await outbox("project.invitation_created")
    assert len(created) == 1
    assert created[0][1]["email"] == "grace@example.com"
    assert created[0][1]["role"] == "admin"
    assert created[0][1]["renewed"] is False
    mails = await outbox("project.invitation_mail_requested")
    token = _token(mails)
    assert mails[0][1]["invite_url"] == f"http://localhost:8080/register?invite={token}"
    assert mails[0][1]["project_name"] == "Operations"
    assert mails[0][1]["inviter_name"] == "Ann"
    assert hashlib.sha256(token.encode()).hexdigest() == digest
    # Only the mail carries the token; no other event, and not the table.
    others = [data for t, data in await outbox() if t != "project.invitation_mail_requested"]
    assert token not in repr(others)
    assert token not in repr(await sql("SELECT * FROM tasks.invitations"))
    acts = await sql(
        "SELECT action, actor_id FROM tasks.activity WHERE project_id = :p"
        " AND action = 'project.invitation_created'",
        p=p.id,
    )
    assert acts == [("project.invitation_created", ann.id)]


async def test_inviting_again_renews_instead_of_duplicating(
    client, make_user, make_project, outbox, sql
):
    ann, ben = await make_user("ann"), await make_user("ben")
    p = await make_project(ann)
    await p.add(ben, "admin")
    assert (await _invite(client, p, ann, "grace@example.com")).status_code == 202
    first = await sql("SELECT id, token_hash, updated_at FROM tasks.invitations")
    assert (await _invite(client, p, ben, "GRACE@example.com", "viewer")).status_code == 202
    rows = await sql("SELECT id, token_hash, role, invited_by, updated_at FROM tasks.invitations")
    assert len(rows) == 1
    assert rows[0][0] == first[0][0]
    assert rows[0][1] != first[0][1]  # the first link no longer works
    assert (rows[0][2], rows[0][3]) == ("viewer", ben.id)
    assert rows[0][4] > first[0][2]
    created = await outbox("project.invitation_created")
    assert [d["renewed"] for _, d in created] == [False, True]
    assert len(await outbox("project.invitation_mail_requested")) == 2
    # An expired invitation comes back to life when invited again, still one row.
    await sql("UPDATE tasks.invitations SET expires_at = now() - interval '1 day'")
    assert (await _invite(client, p, ann, "grace@example.com")).status_code == 202
    rows = await sql("SELECT count(*), bool_and(expires_at > now()) FROM tasks.invitations")
    assert rows[0] == (1, True)


async def test_pending_invitations_are_listed_for_admins_only_and_expire(
    client, make_user, make_project, sql
):
    ann, ben, vic, mel = [await make_user(n) for n in ("ann", "ben", "vic", "mel")]
    p = await make_project(ann)
    await p.add(ben, "admin")
    await p.add(vic, "viewer")
    await p.add(mel, "member")
    for i in range(3):
        assert (await _invite(client, p, ann, f"guest{i}@example.com")).status_code == 202
    url = f"/api/v1/projects/{p.id}/invitations"

    r = await client.get(url, params={"limit": 2}, headers=ben.h)
    assert r.status_code == 200, r.text
    page1 = r.json()
    assert [i["email"] for i in page1["items"]] == ["guest0@example.com", "guest1@example.com"]
    assert page1["items"][0]["invited_by"] == str(ann.id)
    assert "token" not in repr(page1).replace("next_cursor", "")
    r = await client.get(url, params={"cursor": page1["next_cursor"]}, headers=ben.h)
    assert [i["email"] for i in r.json()["items"]] == ["guest2@example.com"]

    # An expired one is not listed as pending.
    await sql("UPDATE tasks.invitations SET expires_at = now() - interval '1 second'"
              " WHERE email = 'guest1@example.com'")  # fmt: skip
    r = await client.get(url, headers=ann.h)
    assert [i["email"] for i in r.json()["items"]] == ["guest0@example.com", "guest2@example.com"]

    # The wrong users: a member and a viewer (403), a stranger and another project's admin (404).
    other_admin = await make_user("oscar")
    await make_project(other_admin)
    stranger = await make_user("sam")
    for who, code in ((mel, 403), (vic, 403), (stranger, 404), (other_admin, 404)):
        r = await client.get(url, headers=who.h)
        assert r.status_code == code, (who.email, r.text)
        assert "guest" not in r.text


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
    await _invite(client, p, ann, "grace@example.com")
    await _invite(client, other, other_admin, "hank@example.com")
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
    await _invite(client, p1, ann, "grace@example.com", "admin")
    await _invite(client, p2, bob, "Grace@example.com", "viewer")
    await _invite(client, expired, ann, "grace@example.com")
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
    await _invite(client, p, ann, "grace@example.com", "admin")
    await _invite(client, trashed, ann, "grace@example.com")
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


async def test_refusals_do_not_depend_on_the_address(app, client, make_user, make_project, sql):
    """An owner grant by an admin, and a full invitation list, refuse both kinds of address."""
    ann, ben, dan = await make_user("ann"), await make_user("ben"), await make_user("dan")
    p = await make_project(ann)
    await p.add(ben, "admin")
    for email in (dan.email, "nobody@example.com"):
        r = await _invite(client, p, ben, email, "owner")
        assert r.status_code == 403
        assert r.json()["code"] == "role_required"
    assert not await sql("SELECT 1 FROM tasks.invitations")

    before = app.state.settings
    app.state.settings = before.model_copy(update={"invitations_max_pending": 1})
    try:
        assert (await _invite(client, p, ann, "first@example.com")).status_code == 202
        answers = [await _invite(client, p, ann, e) for e in (dan.email, "second@example.com")]
    finally:
        app.state.settings = before
    assert [a.status_code for a in answers] == [409, 409]
    assert answers[0].json()["code"] == answers[1].json()["code"] == "too_many_invitations"
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    members = await sql("SELECT user_id FROM tasks.project_members WHERE project_id = :p", p=p.id)
    assert dan.id not in {r[0] for r in members}
    assert (await sql("SELECT count(*) FROM tasks.invitations"))[0][0] == 1


async def test_a_deactivated_accounts_address_is_not_invited(client, make_user, make_project, sql):
    ann, gone = await make_user("ann"), await make_user("gone")
    await sql("UPDATE tasks.users SET is_active = false WHERE id = :u", u=gone.id)
    p = await make_project(ann)
    r = await _invite(client, p, ann, gone.email)
    assert r.status_code == 202
    assert not await sql("SELECT 1 FROM tasks.invitations")
    assert len(await sql("SELECT 1 FROM tasks.project_members WHERE project_id = :p", p=p.id)) == 1


async def test_the_link_shows_what_the_invitation_is_about(client, make_user, make_project, outbox):
    ann = await make_user("ann")
    p = await make_project(ann, name="Operations")
    await _invite(client, p, ann, "grace@example.com", "viewer")
    token = _token(await outbox("project.invitation_mail_requested"))
    lookup = "/api/v1/projects/invitations/lookup"

    r = await client.post(lookup, json={"token": token})  # no bearer token: the link is enough
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["email"], body["project_name"], body["inviter_name"], body["role"]) == (
        "grace@example.com", "Operations", "Ann", "viewer",
    )  # fmt: skip
    assert (await client.post(lookup, json={"token": token[:-2] + "xx"})).status_code == 404
    assert (await client.post(lookup, json={"token": "short"})).status_code == 422
    # Renewed: the old link is dead, the new one works.
    await _invite(client, p, ann, "grace@example.com", "viewer")
    new = _token(await outbox("project.invitation_mail_requested"))
    assert (await client.post(lookup, json={"token": token})).status_code == 404
    assert (await client.post(lookup, json={"token": new})).status_code == 200


def test_webhooks_cannot_carry_invitations() -> None:
    """Receivers get what every project member may read; invitations are for admins."""
    from taskflow.tasks.webhooks import payloads

    types = payloads.deliverable_types()
    assert "project.member_added" in types
    assert not [t for t in types if t.startswith("project.invitation_")]
    assert payloads.invalid_patterns(["project.invitation_created", "project.*"]) == [0]


async def test_one_inviter_mails_a_bounded_number_of_strangers_a_day(
    app, client, make_user, make_project, sql
):
    """Across projects: creating projects does not lift the cap; the refusal is the same for
    an address with an account; another inviter is not held back."""
    ann, ben, dan = await make_user("ann"), await make_user("ben"), await make_user("dan")
    p1, p2, p3 = await make_project(ann), await make_project(ann), await make_project(ben)
    before = app.state.settings
    app.state.settings = before.model_copy(update={"invitations_max_per_inviter_per_day": 2})
    try:
        assert (await _invite(client, p1, ann, "a@example.com")).status_code == 202
        assert (await _invite(client, p2, ann, "b@example.com")).status_code == 202
        refused = [await _invite(client, p2, ann, e) for e in (dan.email, "c@example.com")]
        other = await _invite(client, p3, ben, "c@example.com")
    finally:
        app.state.settings = before
    assert [r.status_code for r in refused] == [409, 409]
    a, b = refused[0].json(), refused[1].json()
    assert (a["code"], a["detail"]) == (b["code"], b["detail"])
    assert a["code"] == "too_many_invitations"
    assert other.status_code == 202
    assert (await sql("SELECT count(*) FROM tasks.invitations"))[0][0] == 3
