"""Calendar on a real Radicale: PUT/update/DELETE per task, .ics in mail when it is down, feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar
from notifications_testkit import (
    completed,
    created,
    deliveries,
    drain_sender,
    set_prefs,
    snapshot,
    uid,
    updated,
    user,
)

from taskflow.events.contracts.tasks import Reminder

DUE = datetime(2031, 1, 10, 15, 0, tzinfo=UTC)


def _caldav_settings(settings: Any, server: Any, url: str | None = None) -> Any:
    return settings.model_copy(
        update={
            "caldav_url": url or server.url,
            "caldav_username": server.username,
            "caldav_password": __import__("pydantic").SecretStr(server.password),
        }
    )


def _event(body: bytes) -> Any:
    cal = Calendar.from_ical(body)
    (ev,) = [c for c in cal.walk() if c.name == "VEVENT"]
    return ev


async def test_event_put_updated_and_removed(
    apply: Any,
    ctx: Any,
    settings: Any,
    caldav_server: Any,
    make_worker: Any,
    sessionmaker: Any,
) -> None:
    s = _caldav_settings(settings, caldav_server)
    ctx.settings = s
    alice, actor, proj, task = uid(), uid(), uid(), uid()
    await apply(user(alice))
    await set_prefs(sessionmaker, alice, kinds={"task_due": {"calendar": True}})
    snap = snapshot(
        task,
        proj,
        creator=actor,
        assignees=[alice],
        due_at=DUE,
        reminders=[Reminder(before_minutes=60)],
    )
    await apply(created(snap), actor=actor)
    worker = make_worker(s)
    await drain_sender(worker)
    url = f"{caldav_server.url}/{alice}/tasks/{task}.ics"
    async with httpx.AsyncClient(auth=caldav_server.auth) as http:
        r = await http.get(url)
        assert r.status_code == 200, r.text
        ev = _event(r.content)
        assert str(ev["UID"]) == f"task-{task}@taskflow"
        assert ev.decoded("DTEND") == DUE
        (alarm,) = [c for c in ev.walk() if c.name == "VALARM"]
        assert alarm.decoded("TRIGGER") == timedelta(minutes=-60)

        later = DUE + timedelta(days=1)
        moved = snap.model_copy(update={"due_at": later, "title": "Renamed", "version": 2})
        await apply(updated(moved, due_at=(DUE.isoformat(), later.isoformat())), actor=actor)
        await drain_sender(worker)
        ev = _event((await http.get(url)).content)
        assert ev.decoded("DTEND") == later
        assert str(ev["SUMMARY"]) == "OPS-1 Renamed"
        assert str(ev["UID"]) == f"task-{task}@taskflow"

        done = moved.model_copy(update={"status": "done", "version": 3})
        await apply(completed(done), actor=actor)
        await drain_sender(worker)
        assert (await http.get(url)).status_code == 404
    assert {d.status for d in await deliveries(sessionmaker, "calendar")} == {"sent"}


async def test_calendar_down_mail_carries_the_ics(
    apply: Any,
    ctx: Any,
    settings: Any,
    caldav_server: Any,
    make_worker: Any,
    sessionmaker: Any,
    fault_proxy: Any,
    smtp_sink: Any,
) -> None:
    host, port = caldav_server.url.removeprefix("http://").split(":")
    proxy = await fault_proxy(host, int(port))
    s = _caldav_settings(settings, caldav_server, url=proxy.url_for(caldav_server.url))
    ctx.settings = s
    await proxy.drop()
    alice, actor, proj, task = uid(), uid(), uid(), uid()
    await apply(user(alice))
    await set_prefs(sessionmaker, alice, kinds={"task_due": {"calendar": True}})
    await apply(
        created(snapshot(task, proj, creator=actor, assignees=[alice], due_at=DUE)), actor=actor
    )
    worker = make_worker(s)
    await worker.sender.run_once()
    (cal,) = await deliveries(sessionmaker, "calendar")
    assert cal.status == "pending"
    assert cal.last_error
    msg = await smtp_sink.wait_for(lambda m: True)
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "task.ics"
    ev = _event(
        attachment.get_content().encode()
        if isinstance(attachment.get_content(), str)
        else attachment.get_content()
    )
    assert str(ev["UID"]) == f"task-{task}@taskflow"


async def test_private_feed_rotates_and_is_per_user(apply: Any, client: Any, auth: Any) -> None:
    alice, bob, actor, proj = uid(), uid(), uid(), uid()
    mine, theirs = uid(), uid()
    await apply(
        created(snapshot(mine, proj, creator=actor, assignees=[alice], due_at=DUE, title="Mine")),
        actor=actor,
    )
    await apply(
        created(snapshot(theirs, proj, creator=actor, assignees=[bob], due_at=DUE, title="Theirs")),
        actor=actor,
    )

    r = await client.post("/api/v1/calendar/feed", headers=auth(alice))
    assert r.status_code == 200
    url = r.json()["url"]
    assert url.startswith("http://gw.test/api/v1/calendar/feeds/")
    assert url.endswith(".ics")
    path = url.removeprefix("http://gw.test")
    feed = await client.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(feed.content)
    summaries = [str(c["SUMMARY"]) for c in cal.walk() if c.name == "VEVENT"]
    assert summaries == ["OPS-1 Mine"]

    bob_url = (await client.post("/api/v1/calendar/feed", headers=auth(bob))).json()["url"]
    bob_feed = await client.get(bob_url.removeprefix("http://gw.test"))
    assert b"Theirs" in bob_feed.content
    assert b"Mine" not in bob_feed.content

    # Rotating makes the old URL stop working.
    new = (await client.post("/api/v1/calendar/feed", headers=auth(alice))).json()["url"]
    assert new != url
    assert (await client.get(path)).status_code == 404
    assert (await client.get(new.removeprefix("http://gw.test"))).status_code == 200
    assert (await client.get("/api/v1/calendar/feeds/" + "x" * 43 + ".ics")).status_code == 404


async def test_turning_the_calendar_on_backfills_assigned_tasks(
    apply: Any,
    app: Any,
    client: Any,
    auth: Any,
    settings: Any,
    caldav_server: Any,
    make_worker: Any,
    sessionmaker: Any,
    clock: Any,
) -> None:
    s = _caldav_settings(settings, caldav_server)
    app.state.ctx.settings = s
    alice, actor, proj = uid(), uid(), uid()
    dated, undated = uid(), uid()
    await apply(created(snapshot(dated, proj, creator=actor, assignees=[alice], due_at=DUE)))
    await apply(created(snapshot(undated, proj, creator=actor, assignees=[alice])))
    assert await deliveries(sessionmaker, "calendar") == []
    r = await client.put(
        "/api/v1/notifications/preferences",
        json={"kinds": {"task_due": {"calendar": True}}},
        headers=auth(alice),
    )
    assert r.status_code == 200
    rows = await deliveries(sessionmaker, "calendar")
    assert [d.task_id for d in rows] == [dated]
    # Saving again (already on) queues nothing new.
    await client.put(
        "/api/v1/notifications/preferences", json={"digest": "off"}, headers=auth(alice)
    )
    assert len(await deliveries(sessionmaker, "calendar")) == 1
    # The api stamped the delivery with the real time; the worker's test clock catches up.
    clock.set(datetime.now(UTC) + timedelta(seconds=1))
    await drain_sender(make_worker(s))
    async with httpx.AsyncClient(auth=caldav_server.auth) as http:
        r = await http.get(f"{caldav_server.url}/{alice}/tasks/{dated}.ics")
    assert r.status_code == 200


async def test_a_deactivated_users_feed_stops_serving(apply: Any, client: Any, auth: Any) -> None:
    """The feed URL is a bearer secret: it dies with the account, even after reactivation."""
    from taskflow.events.contracts.users import UserDeactivated

    alice, actor, proj = uid(), uid(), uid()
    await apply(user(alice))
    await apply(
        created(snapshot(uid(), proj, creator=actor, assignees=[alice], due_at=DUE, title="Mine")),
        actor=actor,
    )
    url = (await client.post("/api/v1/calendar/feed", headers=auth(alice))).json()["url"]
    path = url.removeprefix("http://gw.test")
    assert (await client.get(path)).status_code == 200

    await apply(UserDeactivated(user_id=alice), actor=uid())

    gone = await client.get(path)
    assert gone.status_code == 404
    assert b"Mine" not in gone.content
    await apply(user(alice))  # registered again / reactivated: the old secret stays dead
    assert (await client.get(path)).status_code == 404
