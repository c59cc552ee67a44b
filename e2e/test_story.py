"""The story of issue 8, end to end, through nginx and the generated clients.

Steps run in file order and share one :class:`~e2e.story.Story`. Each declares the services it
needs (`@pytest.mark.needs`), so it runs as soon as those services work; a step whose
prerequisite step failed is skipped with that reason (the failure itself is reported above it).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pyotp
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from e2e.clients import GeneratedClient, as_dict, call
from e2e.conftest import client_for
from e2e.harness import System, poll
from e2e.story import LiveSocket, Person, Story
from taskflow.testing.smtp import SmtpSink

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="package")
def story() -> Story:
    return Story()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def _close_socket(story: Story) -> AsyncIterator[None]:
    """Close Bob's WebSocket (if a step opened it) when the story is over."""
    yield
    if story.socket is not None:
        await story.socket.close()


@pytest.fixture
def api(clients: dict[str, GeneratedClient | Exception]) -> Any:
    """`api("auth")`: a service's generated client (fails the test if it did not generate)."""

    def get(service: str) -> GeneratedClient:
        return client_for(clients, service)

    return get


async def _traceparent_of(system: System, event_id: str) -> str | None:
    """The `traceparent` of an event, as its producer's outbox (tasks) stored it."""
    engine = create_async_engine(system.backing.database.admin_url)
    try:
        async with engine.connect() as conn:
            value = await conn.scalar(
                text("SELECT envelope ->> 'traceparent' FROM tasks.outbox WHERE event_id = :id"),
                {"id": event_id},
            )
    finally:
        await engine.dispose()
    return None if value is None else str(value)


def _mail_text(message: EmailMessage) -> str:
    """All text parts of a mail, decoded."""
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def _to(address: str) -> Any:
    def match(message: EmailMessage) -> bool:
        return address in str(message.get("To", "")) + str(message.get("X-RcptTo", ""))

    return match


async def _login(system: System, api: Any, person: Person, story: Story | None = None) -> None:
    """Password login without MFA; keeps the access token on the person (secrets in `story`)."""
    async with person.http(system.gateway_url, authenticated=False) as http:
        response = await call(
            api("auth"),
            "auth_login",
            http,
            body={"email": person.email, "password": person.password},
            expect=200,
        )
    body = as_dict(response.parsed)
    assert "access_token" in body, f"{person.name}: expected a token pair, got {body}"
    person.token = body["access_token"]
    if story is not None:
        story.keep(f"{person.name} password", person.password)
        story.keep(f"{person.name} access token", body["access_token"])
        story.keep(f"{person.name} refresh token", body.get("refresh_token"))


# --------------------------------------------------------------------------- accounts


@pytest.mark.needs("auth")
async def test_01_two_users_register_and_an_auditor_is_created(
    system: System, api: Any, story: Story
) -> None:
    """Alice and Bob sign up through the gateway; an auditor account comes from the CLI."""
    for person, display in ((story.alice, "Alice E2E"), (story.bob, "Bob E2E")):
        async with person.http(system.gateway_url, authenticated=False) as http:
            response = await call(
                api("auth"),
                "auth_register",
                http,
                body={"email": person.email, "password": person.password, "display_name": display},
                expect=201,
            )
        user = as_dict(response.parsed)
        assert user["email"] == person.email
        assert user["email_verified"] is False
        person.user_id = user["id"]
        await _login(system, api, person, story)

    out = system.run_cli(
        "auth",
        "create-admin",
        "--email",
        story.auditor.email,
        "--role",
        "auditor",
        env={"AUTH_ADMIN_PASSWORD": story.auditor.password},
    )
    assert "created user" in out, out
    await _login(system, api, story.auditor, story)
    async with story.auditor.http(system.gateway_url) as http:
        me = as_dict((await call(api("auth"), "users_get_me", http, expect=200)).parsed)
    assert "auditor" in me["roles"]
    story.auditor.user_id = me["id"]
    story.done.add("register")


@pytest.mark.needs("auth", "notifications")
async def test_02_both_verify_their_email_from_the_mail_in_the_sink(
    system: System, api: Any, story: Story, mail: SmtpSink
) -> None:
    """notifications mails each a one-time link; following it verifies the address."""
    story.require("register")
    for person in (story.alice, story.bob):
        message = await mail.wait_for(_to(person.email), timeout=20)
        found = re.search(r"verify-email\?token=([^\s\"'<>&]+)", _mail_text(message))
        assert found, f"no verification link in the mail to {person.name}"
        token = urllib.parse.unquote(found.group(1))
        async with person.http(system.gateway_url, authenticated=False) as http:
            await call(api("auth"), "auth_verify_email", http, body={"token": token}, expect=200)
        async with person.http(system.gateway_url) as http:
            me = as_dict((await call(api("auth"), "users_get_me", http, expect=200)).parsed)
        assert me["email_verified"] is True
    story.done.add("verify")


@pytest.mark.needs("auth")
async def test_03_alice_enables_mfa_and_logs_in_with_a_totp_code(
    system: System, api: Any, story: Story
) -> None:
    """TOTP set-up and confirmation, then a login that asks for and accepts a code."""
    story.require("register")
    alice = story.alice
    async with alice.http(system.gateway_url) as http:
        setup = as_dict((await call(api("auth"), "mfa_totp_setup", http, expect=200)).parsed)
        alice.totp_secret = setup["secret"]
        story.keep("alice TOTP secret", alice.totp_secret)
        totp = pyotp.TOTP(alice.totp_secret)
        step = int(time.time() // 30)
        confirmed = await call(
            api("auth"),
            "mfa_totp_confirm",
            http,
            body={"code": totp.at(step * 30)},
            expect=200,
        )
        assert len(as_dict(confirmed.parsed)["recovery_codes"]) >= 5
        for code in as_dict(confirmed.parsed)["recovery_codes"]:
            story.keep("alice recovery code", code)

    async with alice.http(system.gateway_url, authenticated=False) as http:
        first = await call(
            api("auth"),
            "auth_login",
            http,
            body={"email": alice.email, "password": alice.password},
            expect=200,
        )
        challenge = as_dict(first.parsed)
        story.keep("alice MFA challenge token", challenge.get("mfa_token"))
        assert challenge.get("mfa_required") is True, challenge
        assert "access_token" not in challenge
        # The confirmation spent this time step's code (replays are refused); the next
        # step's code is within the accepted drift.
        wrong = await call(
            api("auth"),
            "auth_login_mfa",
            http,
            body={"mfa_token": challenge["mfa_token"], "code": totp.at(step * 30)},
        )
        assert wrong.status_code in (400, 401), wrong.content[:300]
        second = await call(
            api("auth"),
            "auth_login_mfa",
            http,
            body={"mfa_token": challenge["mfa_token"], "code": totp.at((step + 1) * 30)},
            expect=200,
        )
    alice.token = as_dict(second.parsed)["access_token"]
    story.keep("alice access token", alice.token)
    story.keep("alice refresh token", as_dict(second.parsed).get("refresh_token"))
    async with alice.http(system.gateway_url) as http:
        me = as_dict((await call(api("auth"), "users_get_me", http, expect=200)).parsed)
    assert me["mfa_enabled"] is True
    story.done.add("mfa")


# --------------------------------------------------------------------------- work


async def _open_socket(system: System, story: Story) -> None:
    """Bob's browser tab: a WebSocket through nginx, authenticated by its first message."""
    from websockets.asyncio.client import connect

    url = system.gateway_url.replace("http://", "ws://") + "/api/v1/ws"
    connection = await connect(url, local_addr=(story.bob.source, 0), open_timeout=10)
    socket = LiveSocket(connection)
    await connection.send(f'{{"type": "auth", "token": "{story.bob.token}"}}')
    socket.reader = asyncio.create_task(socket.read_forever())
    story.socket = socket
    ready = await poll(
        lambda: _first(socket.messages, lambda m: m.get("type") == "ready"),
        within=10,
        what="the WebSocket's ready message",
    )
    assert ready["user_id"] == story.bob.user_id


async def _first(messages: list[dict[str, Any]], predicate: Any) -> dict[str, Any] | None:
    return next((m for m in messages if predicate(m)), None)


@pytest.mark.needs("auth", "tasks")
@pytest.mark.usefixtures("_close_socket")
async def test_04_alice_plans_recurring_work_for_bob(
    system: System, api: Any, story: Story
) -> None:
    """A project, Bob as member, a weekly task due tomorrow with reminders, assigned to Bob."""
    story.require("register")
    alice, bob = story.alice, story.bob
    if system.services["notifications"].available:
        # Bob turns calendar sync on (off by default) and opens the app: both before the task
        # exists, so the VEVENT and the live push are caused by what follows.
        async with bob.http(system.gateway_url) as http:
            prefs = await call(
                api("notifications"),
                "preferences_update",
                http,
                body={"kinds": {"task_due": {"in_app": True, "email": True, "calendar": True}}},
                expect=200,
            )
        assert as_dict(prefs.parsed)["kinds"]["task_due"]["calendar"] is True
        await _open_socket(system, story)

    story.project_key = "E" + story.run.upper()[:5].replace("0", "Q")
    async with alice.http(system.gateway_url) as http:
        project = as_dict(
            (
                await call(
                    api("tasks"),
                    "projects_create",
                    http,
                    body={"key": story.project_key, "name": f"Operations {story.run}"},
                    expect=201,
                )
            ).parsed
        )
        story.project_id = project["id"]
        assert project["role"] == "owner"
        await call(
            api("tasks"),
            "members_add",
            http,
            project_id=story.project_id,
            body={"email": bob.email, "role": "member"},
            # Alice shares no project with Bob yet, so she may not see his address: the answer
            # is the one an unknown address gets (202), and Bob is a member all the same.
            expect=202,
        )
        due = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
        story.task_title = f"Reconcile the ledger {story.run}"
        # The creation is sent with a trace of its own: step 05 finds it on Bob's mail,
        # step 09 on the audit entry's event.
        story.trace_id = secrets.token_hex(16)
        http.headers["traceparent"] = f"00-{story.trace_id}-{secrets.token_hex(8)}-01"
        created = await call(
            api("tasks"),
            "tasks_create",
            http,
            project_id=story.project_id,
            body={
                "title": story.task_title,
                "description": "Weekly reconciliation of the suspense account.",
                "priority": "high",
                "due_at": due.isoformat(),
                "assignee_ids": [bob.user_id],
                # One reminder an hour before the due time, one a few seconds from now so
                # the story sees a reminder fire.
                "reminders": [
                    {"before_minutes": 60},
                    {"at": (datetime.now(UTC) + timedelta(seconds=4)).isoformat()},
                ],
                "recurrence": {"rrule": "FREQ=WEEKLY", "mode": "after_completion"},
            },
            expect=201,
        )
        del http.headers["traceparent"]
    task = as_dict(created.parsed)
    story.task_id, story.task_version = task["id"], task["version"]
    assert task["assignee_ids"] == [bob.user_id]
    assert task["recurrence"]["rrule"] == "FREQ=WEEKLY"
    assert task["occurrence_index"] in (0, None)

    # Bob, a member now, sees it; a stranger (the auditor has no membership) gets 404.
    async with bob.http(system.gateway_url) as http:
        seen = await call(api("tasks"), "tasks_get", http, task_id=story.task_id, expect=200)
        assert as_dict(seen.parsed)["title"] == story.task_title
    async with story.auditor.http(system.gateway_url) as http:
        hidden = await call(api("tasks"), "tasks_get", http, task_id=story.task_id)
        assert hidden.status_code == 404, hidden.content[:300]
    story.done.add("task")


@pytest.mark.needs("auth", "tasks", "notifications")
async def test_05_bob_is_told_live_by_mail_and_in_his_calendar(
    system: System, api: Any, story: Story, mail: SmtpSink
) -> None:
    """The assignment reaches Bob's WebSocket and inbox, and his calendar holds the VEVENT."""
    story.require("task")
    assert story.socket is not None, "Bob's WebSocket was not opened in step 04"
    assert story.task_id is not None
    assert story.task_title is not None
    socket, task_id, title = story.socket, story.task_id, story.task_title

    def notification(kind: str) -> Any:
        def match(message: dict[str, Any]) -> bool:
            if message.get("type") != "notification":
                return False
            body = message.get("notification") or {}
            return bool(body.get("task_id") == task_id and body.get("kind") == kind)

        return match

    pushed = await poll(
        lambda: _first(socket.messages, notification("task_assigned")),
        within=20,
        what="the live task_assigned notification",
    )
    assert pushed["notification"]["project_id"] == story.project_id
    assert pushed["notification"]["actor_id"] == story.alice.user_id

    message = await mail.wait_for(
        lambda m: _to(story.bob.email)(m) and title in _mail_text(m) + str(m["Subject"]),
        timeout=20,
    )
    assert message["From"]
    # The mail carries the trace of Alice's request: request -> task.created -> the
    # notifications consumer -> the queued delivery -> the sender.
    assert message["X-Trace-Id"] == story.trace_id
    # And the request's own log line at the tasks api.
    tasks_log = system.procs["tasks"].log_path.read_text(errors="replace")
    assert f'"trace_id":"{story.trace_id}"' in tasks_log

    backing = system.backing
    url = f"{backing.caldav_url}/{story.bob.user_id}/tasks/{task_id}.ics"
    async with httpx.AsyncClient(
        auth=(backing.caldav_username, backing.caldav_password), timeout=5
    ) as caldav:

        async def event() -> str | None:
            response = await caldav.get(url)
            return response.text if response.status_code == 200 else None

        ics = await poll(event, within=20, what=f"the VEVENT at {url}")
    assert "BEGIN:VEVENT" in ics
    assert title in ics.replace("\r\n ", "")

    # The reminder set a few seconds after creation fires as a notification too.
    await poll(
        lambda: _first(socket.messages, notification("reminder")),
        within=25,
        what="the live reminder notification",
    )

    async with story.bob.http(system.gateway_url) as http:
        listed = await call(api("notifications"), "notifications_list", http, expect=200)
        assert task_id in str(as_dict(listed.parsed))
        # The private ICS feed (for calendar apps) carries the same event, through nginx.
        feed = as_dict(
            (
                await call(api("notifications"), "calendar_feed_rotate", http, expect=(200, 201))
            ).parsed
        )
    feed_url = next(v for v in feed.values() if isinstance(v, str) and ".ics" in v)
    path = urllib.parse.urlsplit(feed_url).path
    story.keep("bob's calendar feed secret", path.rsplit("/", 1)[-1].removesuffix(".ics"))
    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=10) as anonymous:
        ics_feed = await anonymous.get(path)
    assert ics_feed.status_code == 200, ics_feed.text[:300]
    assert ics_feed.headers["content-type"].startswith("text/calendar")
    assert title in ics_feed.text.replace("\r\n ", "")
    story.done.add("notified")


# --------------------------------------------------------------------------- oversight


@pytest.mark.needs("auth", "tasks", "reporting")
async def test_06_the_project_report_counts_the_task(
    system: System, api: Any, story: Story
) -> None:
    """reporting's read model (fed by events) counts Alice's task in the project summary."""
    story.require("task")
    async with story.alice.http(system.gateway_url) as http:

        async def counted() -> dict[str, Any] | None:
            response = await call(
                api("reporting"), "summary_get", http, project_id=story.project_id
            )
            if response.status_code != 200:
                return None
            summary = as_dict(response.parsed)
            return summary if summary["total"] >= 1 else None

        summary = await poll(counted, within=20, what="the task in the project summary")
    assert summary["total"] == 1
    assert summary["by_priority"].get("high") == 1
    story.done.add("report")


@pytest.mark.needs("auth", "tasks")
async def test_07_a_stale_if_match_is_refused_with_412(
    system: System, api: Any, story: Story
) -> None:
    """Two editors: the second, holding an old version, gets 412 problem+json, not a lost update."""
    story.require("task")
    async with story.alice.http(system.gateway_url) as http:
        moved = await call(
            api("tasks"),
            "tasks_update",
            http,
            task_id=story.task_id,
            body={"description": "Weekly reconciliation; attach the bank statement."},
            if_match=f'"{story.task_version}"',
            expect=200,
        )
        fresh = as_dict(moved.parsed)["version"]
        assert fresh > story.task_version
        stale = await call(
            api("tasks"),
            "tasks_update",
            http,
            task_id=story.task_id,
            body={"priority": "low"},
            if_match=f'"{story.task_version}"',
        )
    assert stale.status_code == 412, stale.content[:300]
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert b"precondition_failed" in stale.content
    story.task_version = fresh
    story.done.add("412")


@pytest.mark.needs("auth", "tasks")
async def test_08_completing_the_task_creates_the_next_occurrence(
    system: System, api: Any, story: Story
) -> None:
    """Bob completes it; the tasks worker creates next week's occurrence, still his."""
    story.require("task")
    async with story.bob.http(system.gateway_url) as http:
        current = as_dict(
            (await call(api("tasks"), "tasks_get", http, task_id=story.task_id, expect=200)).parsed
        )
        done = await call(
            api("tasks"),
            "tasks_update",
            http,
            task_id=story.task_id,
            body={"status": "done"},
            if_match=f'"{current["version"]}"',
            expect=200,
        )
        assert as_dict(done.parsed)["status"] == "done"

        async def next_occurrence() -> dict[str, Any] | None:
            response = await call(
                api("tasks"), "tasks_list_project", http, project_id=story.project_id, expect=200
            )
            items = as_dict(response.parsed)["items"]
            return next((t for t in items if t["id"] != story.task_id), None)

        following = await poll(next_occurrence, within=20, what="the next occurrence")
    assert following["title"] == story.task_title
    assert following["occurrence_index"] == 1
    assert following["status"] != "done"
    assert following["assignee_ids"] == [story.bob.user_id]
    first_due = datetime.fromisoformat(current["due_at"])
    next_due = datetime.fromisoformat(following["due_at"])
    assert next_due - first_due >= timedelta(days=6), (first_due, next_due)
    story.done.add("complete")


@pytest.mark.needs("auth", "tasks", "notifications")
async def test_08b_a_blocker_in_the_project_workflow_holds_bobs_task_until_it_is_done(
    system: System, api: Any, story: Story
) -> None:
    """Alice adds a review column with a WIP limit of 1 and makes one of Bob's tasks wait on
    another; Bob cannot complete it (409 naming the blocker); when Alice finishes the blocker,
    Bob is told through the notifications worker that he can start."""
    story.require("task")
    tasks = api("tasks")
    async with story.alice.http(system.gateway_url) as http:
        review = as_dict(
            (
                await call(
                    tasks,
                    "statuses_create",
                    http,
                    project_id=story.project_id,
                    body={"name": "In review", "category": "in_progress", "wip_limit": 1},
                    expect=201,
                )
            ).parsed
        )
        blocker = as_dict(
            (
                await call(
                    tasks,
                    "tasks_create",
                    http,
                    project_id=story.project_id,
                    body={
                        "title": f"Order the certificates {story.run}",
                        "status_id": review["id"],
                    },
                    expect=201,
                )
            ).parsed
        )
        waiting = as_dict(
            (
                await call(
                    tasks,
                    "tasks_create",
                    http,
                    project_id=story.project_id,
                    body={
                        "title": f"Install the certificates {story.run}",
                        "assignee_ids": [story.bob.user_id],
                    },
                    expect=201,
                )
            ).parsed
        )
        linked = as_dict(
            (
                await call(
                    tasks,
                    "dependencies_create",
                    http,
                    task_id=waiting["id"],
                    body={"task_id": blocker["id"]},
                    expect=201,
                )
            ).parsed
        )
        assert linked["blocked"] is True
        # The review column is full: a second task is refused unless an admin overrides.
        full = await call(
            tasks,
            "tasks_update",
            http,
            task_id=waiting["id"],
            body={"status_id": review["id"]},
        )
        assert full.status_code == 409, full.content[:300]
        assert b"wip_limit_reached" in full.content
    async with story.bob.http(system.gateway_url) as http:
        refused = await call(
            tasks, "tasks_update", http, task_id=waiting["id"], body={"status": "done"}
        )
        assert refused.status_code == 409, refused.content[:300]
        assert b"open_blockers" in refused.content
        assert blocker["key"].encode() in refused.content
    async with story.alice.http(system.gateway_url) as http:
        await call(
            tasks, "tasks_update", http, task_id=blocker["id"], body={"status": "done"}, expect=200
        )
    async with story.bob.http(system.gateway_url) as http:

        async def unblocked() -> dict[str, Any] | None:
            listed = await call(api("notifications"), "notifications_list", http, expect=200)
            items = as_dict(listed.parsed)["items"]
            return next(
                (
                    n
                    for n in items
                    if n["kind"] == "task_unblocked" and n["task_id"] == waiting["id"]
                ),
                None,
            )

        note = await poll(unblocked, within=20, what="Bob's task_unblocked notification")
        assert "no longer blocked" in note["title"]
        await call(
            tasks, "tasks_update", http, task_id=waiting["id"], body={"status": "done"}, expect=200
        )
    story.done.add("blocked")


@pytest.mark.needs("auth", "tasks", "reporting", "audit")
async def test_08c_alice_moves_work_to_a_project_made_from_a_template(
    system: System, api: Any, story: Story
) -> None:
    """A second project from the first as a template; a task moves there (its old key
    redirects), another is duplicated; both projects' reports and the audit trail follow."""
    story.require("task")
    tasks = api("tasks")
    key = "M" + story.run.upper()[:6].replace("0", "Q")
    async with story.alice.http(system.gateway_url) as http:
        target = as_dict(
            (
                await call(
                    tasks,
                    "projects_create",
                    http,
                    body={
                        "key": key,
                        "name": f"Security {story.run}",
                        "template_project_id": story.project_id,
                    },
                    expect=201,
                )
            ).parsed
        )
        workflow = as_dict(
            (await call(tasks, "statuses_list", http, project_id=target["id"], expect=200)).parsed
        )
        source_workflow = as_dict(
            (await call(tasks, "statuses_list", http, project_id=story.project_id)).parsed
        )
        assert [x["name"] for x in workflow["items"]] == [
            x["name"] for x in source_workflow["items"]
        ]
        work = as_dict(
            (
                await call(
                    tasks,
                    "tasks_create",
                    http,
                    project_id=story.project_id,
                    body={"title": f"Rotate the keys {story.run}", "status": "done"},
                    expect=201,
                )
            ).parsed
        )
        copy = as_dict(
            (
                await call(
                    tasks,
                    "tasks_duplicate",
                    http,
                    task_id=work["id"],
                    body={"title": f"Rotate the keys again {story.run}"},
                    expect=201,
                )
            ).parsed
        )
        assert copy["project_id"] == story.project_id
        moved = as_dict(
            (
                await call(
                    tasks,
                    "tasks_move",
                    http,
                    task_id=work["id"],
                    body={"project_id": target["id"]},
                    expect=200,
                )
            ).parsed
        )
        assert moved["task"]["key"] == f"{key}-1"
        assert moved["moved"][0]["from_key"] == work["key"]
        old = await call(tasks, "tasks_get_by_key", http, key=work["key"])
        assert old.status_code == 308, old.content[:300]
        assert old.headers["location"] == f"/api/v1/tasks/by-key/{key}-1"
        found = as_dict(
            (await call(tasks, "tasks_get_by_key", http, key=f"{key}-1", expect=200)).parsed
        )
        assert found["id"] == work["id"]

        listed = as_dict(
            (
                await call(
                    tasks, "tasks_list_project", http, project_id=story.project_id, limit=200
                )
            ).parsed
        )
        live_here = len(listed["items"])
        assert work["id"] not in {t["id"] for t in listed["items"]}

        async def followed() -> tuple[dict[str, Any], dict[str, Any]] | None:
            # Reporting has caught up when the target counts the task and the source counts
            # exactly its live tasks (the duplicate, not the moved one).
            there = await call(api("reporting"), "summary_get", http, project_id=target["id"])
            here = await call(api("reporting"), "summary_get", http, project_id=story.project_id)
            if there.status_code != 200 or here.status_code != 200:
                return None
            h, t = as_dict(here.parsed), as_dict(there.parsed)
            return (h, t) if (t["total"], h["total"]) == (1, live_here) else None

        _, there = await poll(followed, within=20, what="both projects' reports after the move")
    assert there["by_category"]["done"] == 1
    async with story.auditor.http(system.gateway_url) as http:

        async def trail() -> list[dict[str, Any]] | None:
            page = as_dict(
                (
                    await call(
                        api("audit"),
                        "events_list",
                        http,
                        project_id=story.project_id,
                        type_="task.moved",
                    )
                ).parsed
            )
            return page["items"] or None

        entries = await poll(trail, within=25, interval=0.5, what="task.moved in the trail")
    assert entries[0]["project_id"] == target["id"]
    story.done.add("moved")


@pytest.mark.needs("auth", "tasks", "audit")
async def test_09_the_audit_log_holds_every_event_and_verifies(
    system: System, api: Any, story: Story
) -> None:
    """The auditor finds each kind of event of the story in the log, and the chain verifies."""
    story.require("task")
    wanted = {
        "user.registered",
        "project.created",
        "project.member_added",
        "task.created",
        "task.updated",
    }
    if "mfa" in story.done:
        wanted.add("user.mfa_enabled")
    if "complete" in story.done:
        wanted.add("task.completed")
    if "verify" in story.done:
        wanted.add("user.updated")
    if "blocked" in story.done:
        wanted |= {"project.workflow_changed", "task.dependency_added", "task.unblocked"}
    if "moved" in story.done:
        wanted.add("task.moved")

    async with story.auditor.http(system.gateway_url) as http:

        async def all_types() -> list[dict[str, Any]] | None:
            seen: list[dict[str, Any]] = []
            cursor = None
            while True:
                kwargs: dict[str, Any] = {"limit": 200}
                if cursor:
                    kwargs["cursor"] = cursor
                page = as_dict((await call(api("audit"), "events_list", http, **kwargs)).parsed)
                seen.extend(page["items"])
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            types = {e["type"] for e in seen}
            mine = [e for e in seen if e.get("project_id") == story.project_id]
            if wanted <= types and mine:
                return seen
            return None

        entries = await poll(
            all_types, within=25, interval=0.5, what=f"audit entries of types {wanted}"
        )
        # The verification events carry a one-time link for the mail; the log must not.
        assert "verify-email?token=" not in str(entries)
        mine = [e for e in entries if e.get("project_id") == story.project_id]
        assert {e["actor_id"] for e in mine if e["type"] == "project.created"} == {
            story.alice.user_id
        }
        # The audit entry of the task's creation carries the trace of Alice's request
        # (step 04), and the trace finds it: request -> event -> entry, one id.
        [created] = [
            e
            for e in mine
            if e["type"] == "task.created" and e["subject"] == f"task/{story.task_id}"
        ]
        assert created["trace_id"] == story.trace_id
        by_trace = as_dict(
            (
                await call(api("audit"), "events_list", http, trace_id=story.trace_id, expect=200)
            ).parsed
        )
        assert created["event_id"] in {e["event_id"] for e in by_trace["items"]}
        assert (await _traceparent_of(system, created["event_id"]) or "").split("-")[1] == (
            story.trace_id
        )
        verified = as_dict((await call(api("audit"), "chain_verify", http, expect=200)).parsed)
        assert verified["ok"] is True, verified
        assert verified["first_broken_seq"] is None
        assert verified["checked"] >= len(wanted)

    # Audit data is for auditors and admins only.
    async with story.bob.http(system.gateway_url) as http:
        refused = await call(api("audit"), "events_list", http)
    assert refused.status_code == 403, refused.content[:300]
    story.done.add("audit")


# --------------------------------------------------------------------------- the gateway


@pytest.mark.needs("auth")
async def test_10_login_rate_limit_answers_429_problem_json(
    system: System, api: Any, story: Story
) -> None:
    """A password guesser from one address meets nginx's login budget: 429 problem+json."""
    guesser = Person("guesser", "127.0.0.20", f"nobody-{story.run}@example.com")
    statuses: list[int] = []
    limited: httpx.Response | None = None
    async with guesser.http(system.gateway_url, authenticated=False) as http:
        for attempt in range(30):
            # A new account each time: auth's own per-account throttle must not be what stops
            # the guesser here; this is about the gateway's per-address budget.
            response = await http.post(
                "/api/v1/auth/login",
                json={"email": f"{attempt}-{guesser.email}", "password": "wrong-password"},
            )
            statuses.append(response.status_code)
            if response.status_code == 429:
                limited = response
                break
    assert limited is not None, f"no 429 after {len(statuses)} tries: {statuses}"
    assert statuses[0] == 401, statuses  # auth itself answered the first guesses
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert limited.json()["code"] == "rate_limited"
    assert "retry-after" in limited.headers
    # Another address is not affected.
    async with story.alice.http(system.gateway_url, authenticated=False) as http:
        other = await http.post(
            "/api/v1/auth/login", json={"email": guesser.email, "password": "wrong-password"}
        )
    assert other.status_code == 401


@pytest.mark.needs("auth", "tasks")
async def test_12_a_stranger_harvests_no_email(system: System, api: Any, story: Story) -> None:
    """Mallory shares no project with anyone: profiles, searches and adding by address tell
    her nothing about whose address has an account, through the real gateway and services."""
    story.require("register", "task")
    alice = story.alice
    mallory = Person("mallory", "127.0.0.21", f"mallory-{story.run}@example.com")
    async with mallory.http(system.gateway_url, authenticated=False) as http:
        r = await http.post(
            "/api/v1/auth/register",
            json={"email": mallory.email, "password": mallory.password, "display_name": "M"},
        )
        assert r.status_code == 201, r.text
    await _login(system, api, mallory, story)
    async with mallory.http(system.gateway_url) as http:
        profile = await http.get(f"/api/v1/users/{alice.user_id}")
        assert profile.status_code == 200, profile.text
        assert profile.json()["email"] is None
        for params in ({"q": "alice"}, {"q": "example.com"}, {"email": alice.email}):
            found = await http.get("/api/v1/users", params=params)
            assert found.status_code == 200, found.text
            assert [u["email"] for u in found.json()["items"]] in ([], [mallory.email]), params
        project = await http.post(
            "/api/v1/projects",
            json={"key": "M" + story.run.upper()[:5].replace("0", "Q"), "name": "Mine"},
        )
        assert project.status_code == 201, project.text
        members = f"/api/v1/projects/{project.json()['id']}/members"
        known = await http.post(members, json={"email": alice.email})
        unknown = await http.post(members, json={"email": f"nobody-{story.run}@example.com"})
    assert known.status_code == unknown.status_code == 202, (known.text, unknown.text)
    assert known.json() == unknown.json()
    # Bob and Alice share the story's project: Bob sees her address.
    async with story.bob.http(system.gateway_url) as http:

        async def bob_sees_alice() -> bool:
            r = await http.get(f"/api/v1/users/{alice.user_id}")
            return bool(r.json().get("email") == alice.email)

        await poll(bob_sees_alice, within=20, what="Bob seeing Alice's address")


@pytest.mark.needs("auth", "tasks", "notifications")
async def test_13_an_invited_address_registers_and_joins_with_its_role(
    system: System, api: Any, story: Story, mail: SmtpSink
) -> None:
    """Alice invites an address nobody registered: the mail with a link to register reaches
    the sink; Grace registers with that address and verifies it, and is then a viewer of the
    project (told so in the app), without the link being needed for joining."""
    story.require("register", "verify", "task")
    alice = story.alice
    grace = Person("grace", "127.0.0.22", f"grace-{story.run}@example.com")
    async with alice.http(system.gateway_url) as http:
        await call(
            api("tasks"),
            "members_add",
            http,
            project_id=story.project_id,
            body={"email": grace.email.upper(), "role": "viewer"},
            expect=202,
        )
    message = await mail.wait_for(
        lambda m: _to(grace.email)(m) and "invited you" in str(m["Subject"]), timeout=30
    )
    found = re.search(r"/register\?invite=([^\s\"'<>&]+)", _mail_text(message))
    assert found, "no register link in the invitation mail"
    token = urllib.parse.unquote(found.group(1))
    story.keep("grace invitation token", token)
    async with grace.http(system.gateway_url, authenticated=False) as http:
        preview = as_dict(
            (
                await call(
                    api("tasks"), "invitations_lookup", http, body={"token": token}, expect=200
                )
            ).parsed
        )
    assert preview["email"] == grace.email
    assert preview["role"] == "viewer"
    assert preview["project_name"] == f"Operations {story.run}"
    async with alice.http(system.gateway_url) as http:
        pending = as_dict(
            (
                await call(
                    api("tasks"),
                    "invitations_list",
                    http,
                    project_id=story.project_id,
                    expect=200,
                )
            ).parsed
        )
    assert [i["email"] for i in pending["items"]] == [grace.email]

    async with grace.http(system.gateway_url, authenticated=False) as http:
        await call(
            api("auth"),
            "auth_register",
            http,
            body={"email": grace.email, "password": grace.password, "display_name": "Grace"},
            expect=201,
        )
    await _login(system, api, grace, story)
    async with grace.http(system.gateway_url) as http:
        # Registered, not verified: not a member yet.
        r = await http.get(f"/api/v1/projects/{story.project_id}")
        assert r.status_code == 404, r.text
    verify = await mail.wait_for(
        lambda m: _to(grace.email)(m) and "verify-email" in _mail_text(m), timeout=30
    )
    link = re.search(r"verify-email\?token=([^\s\"'<>&]+)", _mail_text(verify))
    assert link
    async with grace.http(system.gateway_url, authenticated=False) as http:
        await call(
            api("auth"),
            "auth_verify_email",
            http,
            body={"token": urllib.parse.unquote(link.group(1))},
            expect=200,
        )
    async with grace.http(system.gateway_url) as http:

        async def joined() -> bool:
            r = await http.get(f"/api/v1/projects/{story.project_id}")
            return r.status_code == 200 and r.json()["role"] == "viewer"

        await poll(joined, within=30, what="Grace joining the project she was invited to")

        async def told() -> bool:
            r = await http.get("/api/v1/notifications")
            return any("added you" in n.get("title", "") for n in r.json().get("items", []))

        await poll(told, within=30, what="Grace being told she was added")
    async with alice.http(system.gateway_url) as http:
        r = await http.get(f"/api/v1/projects/{story.project_id}/invitations")
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []


# --------------------------------------------------------------------------- the logs


@pytest.mark.needs("auth", "notifications")
async def test_20_no_log_file_of_the_stack_holds_a_secret(system: System, story: Story) -> None:
    """Every log the stack wrote (each api and worker, nginx's access and error logs) is
    scanned for each secret the story handled: passwords, tokens, refresh tokens, TOTP
    secrets and recovery codes, the calendar feed secret, and anything shaped like a JWT."""
    story.require("register", "mfa", "notified")
    files = sorted(p for p in system.workdir.rglob("*.log") if p.is_file())
    names = {p.name for p in files}
    assert {"access.log", "error.log", "auth.log", "notifications.log"} <= names, names
    access = next(p for p in files if p.name == "access.log").read_text(errors="replace")
    assert "/api/v1/calendar/feeds/{secret}.ics" in access  # the feed was fetched and logged
    labels = {label.split(" #")[0] for label in story.secrets}
    assert {"bob's calendar feed secret", "alice TOTP secret", "alice refresh token"} <= labels
    hits = []
    for path in files:
        text = path.read_text(errors="replace")
        if "eyJ" in text:
            hits.append(f"{path.name}: a JWT (eyJ...)")
        hits += [f"{path.name}: {label}" for label, value in story.secrets.items() if value in text]
    assert hits == [], hits
