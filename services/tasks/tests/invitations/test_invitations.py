"""Invitations of addresses without an account: made through `POST .../members`, listed by
project admins, mailed with a link that says what they are about.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tasks_testkit import invite


def _token(outbox_rows: list[tuple[str, dict[str, Any]]]) -> str:
    url = outbox_rows[-1][1]["invite_url"]
    return parse_qs(urlsplit(url).query)["invite"][0]


async def test_an_address_without_account_is_invited_with_the_same_answer(
    client, make_user, make_project, outbox, sql
):
    """202 with the body an existing account gets; a pending row, a mail, no token leaked."""
    ann, dan = await make_user("ann"), await make_user("dan")
    p = await make_project(ann, name="Operations")
    known = await invite(client, p, ann, dan.email)
    unknown = await invite(client, p, ann, "  Grace@Example.COM ", role="admin")
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
    assert (await invite(client, p, ann, "grace@example.com")).status_code == 202
    first = await sql("SELECT id, token_hash, updated_at FROM tasks.invitations")
    assert (await invite(client, p, ben, "GRACE@example.com", "viewer")).status_code == 202
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
    assert (await invite(client, p, ann, "grace@example.com")).status_code == 202
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
        assert (await invite(client, p, ann, f"guest{i}@example.com")).status_code == 202
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


async def test_refusals_do_not_depend_on_the_address(app, client, make_user, make_project, sql):
    """An owner grant by an admin, and a full invitation list, refuse both kinds of address."""
    ann, ben, dan = await make_user("ann"), await make_user("ben"), await make_user("dan")
    p = await make_project(ann)
    await p.add(ben, "admin")
    for email in (dan.email, "nobody@example.com"):
        r = await invite(client, p, ben, email, "owner")
        assert r.status_code == 403
        assert r.json()["code"] == "role_required"
    assert not await sql("SELECT 1 FROM tasks.invitations")

    before = app.state.settings
    app.state.settings = before.model_copy(update={"invitations_max_pending": 1})
    try:
        assert (await invite(client, p, ann, "first@example.com")).status_code == 202
        answers = [await invite(client, p, ann, e) for e in (dan.email, "second@example.com")]
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
    r = await invite(client, p, ann, gone.email)
    assert r.status_code == 202
    assert not await sql("SELECT 1 FROM tasks.invitations")
    assert len(await sql("SELECT 1 FROM tasks.project_members WHERE project_id = :p", p=p.id)) == 1


async def test_the_link_shows_what_the_invitation_is_about(client, make_user, make_project, outbox):
    ann = await make_user("ann")
    p = await make_project(ann, name="Operations")
    await invite(client, p, ann, "grace@example.com", "viewer")
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
    await invite(client, p, ann, "grace@example.com", "viewer")
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
        assert (await invite(client, p1, ann, "a@example.com")).status_code == 202
        assert (await invite(client, p2, ann, "b@example.com")).status_code == 202
        refused = [await invite(client, p2, ann, e) for e in (dan.email, "c@example.com")]
        other = await invite(client, p3, ben, "c@example.com")
    finally:
        app.state.settings = before
    assert [r.status_code for r in refused] == [409, 409]
    a, b = refused[0].json(), refused[1].json()
    assert (a["code"], a["detail"]) == (b["code"], b["detail"])
    assert a["code"] == "too_many_invitations"
    assert other.status_code == 202
    assert (await sql("SELECT count(*) FROM tasks.invitations"))[0][0] == 3
