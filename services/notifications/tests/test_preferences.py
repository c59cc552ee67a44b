"""Preferences decide the channels: in-app off, email off, and the stored feed secret."""

from __future__ import annotations

from typing import Any

from notifications_testkit import created, deliveries, set_prefs, snapshot, uid, user
from sqlalchemy import select, text

from taskflow.notifications.notifications.models import Notification


async def test_channels_follow_preferences(apply: Any, sessionmaker: Any) -> None:
    quiet, mail_only, actor, proj = uid(), uid(), uid(), uid()
    await apply(user(quiet))
    await apply(user(mail_only))
    await set_prefs(sessionmaker, quiet, kinds={"task_assigned": {"in_app": True, "email": False}})
    await set_prefs(
        sessionmaker, mail_only, kinds={"task_assigned": {"in_app": False, "email": True}}
    )
    snap = snapshot(uid(), proj, creator=actor, assignees=[quiet, mail_only])
    await apply(created(snap), actor=actor)
    async with sessionmaker() as s:
        notes = list(await s.scalars(select(Notification)))
    assert [n.user_id for n in notes] == [quiet]
    mails = await deliveries(sessionmaker, "email")
    assert [m.user_id for m in mails] == [mail_only]
    assert mails[0].notification_id is None


async def test_feed_secret_is_stored_hashed(client: Any, auth: Any, engine: Any) -> None:
    r = await client.post("/api/v1/calendar/feed", headers=auth(uid()))
    secret = r.json()["url"].rsplit("/", 1)[1].removesuffix(".ics")
    async with engine.connect() as conn:
        stored = (
            await conn.execute(text("SELECT secret_hash FROM notifications.calendar_feeds"))
        ).scalar_one()
    assert secret not in stored
    assert len(stored) == 64
