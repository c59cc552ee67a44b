"""Email channel on the real SMTP sink: content, breaker, retries, final failure, digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications_testkit import (
    created,
    deliveries,
    drain_sender,
    reset,
    set_prefs,
    snapshot,
    uid,
    user,
    verification,
)
from sqlalchemy import func, select, text

from taskflow.notifications.db import outbox_rows
from taskflow.notifications.notifications.models import Notification
from taskflow.testing import wait_until


async def _assign(apply: Any, alice: Any, n: int = 1, title: str = "Reconcile ledger") -> None:
    actor, proj = uid(), uid()
    await apply(user(actor, name="Carol"))
    for i in range(n):
        snap = snapshot(uid(), proj, creator=actor, assignees=[alice], title=f"{title} {i}")
        await apply(created(snap), actor=actor)


async def test_mail_has_text_and_html_parts_with_links(
    apply: Any, settings: Any, make_worker: Any, smtp_sink: Any
) -> None:
    alice = uid()
    await apply(user(alice))
    await _assign(apply, alice)
    worker = make_worker(settings)
    await drain_sender(worker)
    msg = await smtp_sink.wait_for(lambda m: True)
    assert msg["To"] == f"{alice.hex[:10]}@example.test"
    assert msg["Subject"] == "Carol assigned you OPS-1 Reconcile ledger 0"
    text_part = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",)).get_content()
    assert "Open in Taskflow: http://spa.test/projects/" in text_part
    assert 'href="http://spa.test/projects/' in html_part


async def test_smtp_down_opens_breaker_in_app_still_works_mail_arrives_once(
    apply: Any,
    settings: Any,
    make_worker: Any,
    smtp_sink: Any,
    fault_proxy: Any,
    sessionmaker: Any,
    client: Any,
    auth: Any,
    clock: Any,
) -> None:
    proxy = await fault_proxy(smtp_sink.host, smtp_sink.port)
    worker = make_worker(settings.model_copy(update={"smtp_port": proxy.port}))
    alice = uid()
    await apply(user(alice))
    await proxy.drop()
    await _assign(apply, alice, n=5)

    await worker.sender.run_once()
    # fail_max=3: three real failures open the breaker; the rest are not even tried.
    assert await worker.sender.smtp_breaker.current_state() == "open"
    rows = await deliveries(sessionmaker, "email")
    assert sorted(r.attempts for r in rows) == [0, 0, 1, 1, 1]
    assert all(r.status == "pending" for r in rows)
    assert {r.last_error for r in rows if r.attempts == 0} == {"circuit breaker open"}
    # In-app is untouched by the mail outage.
    r = await client.get("/api/v1/notifications/unread-count", headers=auth(alice))
    assert r.json() == {"count": 5}
    assert smtp_sink.messages() == []

    await proxy.restore()

    # The breaker closes after its reset timeout (1 s in tests); pending mail then goes out.
    async def all_sent() -> bool:
        clock.set(clock.now + timedelta(seconds=1))
        await worker.sender.run_once()
        return len(smtp_sink.messages()) >= 5

    await wait_until(all_sent, timeout=8, interval=0.1)

    # Every delivery sent: none is due any more, so no pass can send one twice.
    async def none_due() -> bool:
        await drain_sender(worker)
        return {r.status for r in await deliveries(sessionmaker, "email")} == {"sent"}

    await wait_until(none_due, timeout=8, interval=0.1)
    msgs = smtp_sink.messages()
    assert len(msgs) == 5
    assert len({m["Message-ID"] for m in msgs}) == 5
    assert await worker.sender.smtp_breaker.current_state() == "closed"
    assert {r.status for r in await deliveries(sessionmaker, "email")} == {"sent"}


async def test_final_failure_publishes_delivery_failed_and_admin_retry_sends(
    apply: Any,
    settings: Any,
    make_worker: Any,
    smtp_sink: Any,
    fault_proxy: Any,
    sessionmaker: Any,
    client: Any,
    auth: Any,
    clock: Any,
) -> None:
    proxy = await fault_proxy(smtp_sink.host, smtp_sink.port)
    s = settings.model_copy(update={"smtp_port": proxy.port, "breaker_fail_max": 50})
    worker = make_worker(s)
    alice = uid()
    await apply(user(alice))
    await proxy.drop()
    await _assign(apply, alice)
    async with sessionmaker() as sess, sess.begin():
        # The row carries its attempt budget (set when queued; an admin retry raises it).
        await sess.execute(text("UPDATE notifications.deliveries SET max_attempts = 2"))
    await worker.sender.run_once()
    clock.set(clock.now + timedelta(seconds=5))
    await worker.sender.run_once()
    (row,) = await deliveries(sessionmaker, "email")
    assert row.status == "failed", (row.attempts, row.last_error, row.next_attempt_at, clock.now)
    assert row.attempts == 2
    assert row.last_error
    async with sessionmaker() as sess:
        events = (
            await sess.execute(select(outbox_rows.c.event_type, outbox_rows.c.envelope))
        ).all()
    assert [e.event_type for e in events] == ["notification.delivery_failed"]
    data = events[0].envelope["data"]
    assert data["delivery_id"] == str(row.id)
    assert data["attempts"] == 2
    assert data["notification_id"] == str(row.notification_id)

    await proxy.restore()
    admin = auth(uid(), roles=("admin",))
    failed = await client.get(
        "/api/v1/notifications/deliveries", params={"status": "failed"}, headers=admin
    )
    assert [d["id"] for d in failed.json()["items"]] == [str(row.id)]
    r = await client.post(f"/api/v1/notifications/deliveries/{row.id}/retry", headers=admin)
    assert r.status_code == 200
    assert r.json()["status"] == "pending"
    await drain_sender(worker)
    assert len(smtp_sink.messages()) == 1
    r = await client.post(f"/api/v1/notifications/deliveries/{row.id}/retry", headers=admin)
    assert r.status_code == 409


async def test_account_mails_and_their_links_are_not_kept(
    apply: Any, settings: Any, make_worker: Any, smtp_sink: Any, sessionmaker: Any
) -> None:
    fresh, known = uid(), uid()
    await apply(user(fresh, verified=False))
    await apply(user(known))
    await apply(verification(fresh, f"{fresh.hex[:10]}@example.test"))
    await apply(reset(known, f"{known.hex[:10]}@example.test"))
    worker = make_worker(settings)
    await drain_sender(worker)
    msgs = smtp_sink.messages()
    assert len(msgs) == 2
    bodies = {m["Subject"]: m.get_body(("plain",)).get_content() for m in msgs}
    assert "http://spa.test/verify?token=one-time-secret" in bodies["Confirm your email address"]
    assert "http://spa.test/reset?token=one-time-reset" in bodies["Reset your Taskflow password"]
    rows = await deliveries(sessionmaker, "email")
    assert all(r.status == "sent" and r.payload is None for r in rows)


async def test_daily_digest_bundles_mails(
    apply: Any, settings: Any, make_worker: Any, smtp_sink: Any, sessionmaker: Any, clock: Any
) -> None:
    alice = uid()
    await apply(user(alice))
    await set_prefs(sessionmaker, alice, kinds={}, digest="daily", digest_hour=0)
    await _assign(apply, alice, n=3, title="Digest item")
    worker = make_worker(settings)
    await drain_sender(worker)
    assert smtp_sink.messages() == []
    assert {r.status for r in await deliveries(sessionmaker, "email")} == {"held"}
    assert await worker.scheduler.run_digests() == 1
    assert await worker.scheduler.run_digests() == 0  # once per local day
    await drain_sender(worker)
    (msg,) = smtp_sink.messages()
    assert msg["Subject"] == "Your Taskflow digest: 3 update(s)"
    body = msg.get_body(("plain",)).get_content()
    assert all(f"Digest item {i}" in body for i in range(3))
    async with sessionmaker() as s:
        assert len(list(await s.scalars(select(Notification)))) == 3
        await s.execute(text("SELECT 1"))


async def test_hung_smtp_server_times_out_and_opens_the_breaker(
    apply: Any,
    settings: Any,
    make_worker: Any,
    smtp_sink: Any,
    fault_proxy: Any,
    sessionmaker: Any,
) -> None:
    proxy = await fault_proxy(smtp_sink.host, smtp_sink.port)
    worker = make_worker(settings.model_copy(update={"smtp_port": proxy.port, "smtp_timeout": 0.3}))
    alice = uid()
    await apply(user(alice))
    await proxy.stall()
    await _assign(apply, alice, n=4)
    started = asyncio.get_running_loop().time()
    await worker.sender.run_once()
    # Three timed-out attempts open the breaker; the fourth is not tried at all.
    assert asyncio.get_running_loop().time() - started < 3
    assert await worker.sender.smtp_breaker.current_state() == "open"
    rows = await deliveries(sessionmaker, "email")
    assert sorted(r.attempts for r in rows) == [0, 1, 1, 1]
    assert {r.last_error for r in rows if r.attempts} == {"SMTPConnectTimeoutError"}
    await proxy.restore()


async def test_a_bouncing_address_fails_for_good_and_leaves_the_breaker_closed(
    apply: Any,
    settings: Any,
    make_worker: Any,
    smtp_sink: Any,
    sessionmaker: Any,
) -> None:
    """Real aiosmtpd answering 550 for one mailbox: those mails fail at once, uncounted."""
    bouncer, alice = uid(), uid()
    await apply(user(bouncer))
    await apply(user(alice))
    smtp_sink.refuse(f"{bouncer.hex[:10]}@example.test")
    await _assign(apply, bouncer, n=5, title="Bounce")  # more than fail_max (3)
    await _assign(apply, alice, n=1, title="Fine")
    worker = make_worker(settings)

    await drain_sender(worker)

    assert await worker.sender.smtp_breaker.current_state() == "closed"
    assert await worker.sender.smtp_breaker.fail_count() == 0
    rows = await deliveries(sessionmaker, "email")
    bounced = [r for r in rows if r.user_id == bouncer]
    assert len(bounced) == 5
    assert {(r.status, r.attempts, r.last_error) for r in bounced} == {("failed", 1, "SMTP 550")}
    assert [r.status for r in rows if r.user_id == alice] == ["sent"]
    (msg,) = smtp_sink.messages()
    assert msg["To"] == f"{alice.hex[:10]}@example.test"
    async with sessionmaker() as sess:
        events = (await sess.execute(select(outbox_rows.c.event_type))).scalars().all()
    assert events.count("notification.delivery_failed") == 5


async def test_a_greylisting_4xx_is_retried_and_counted_by_the_breaker(
    apply: Any,
    settings: Any,
    make_worker: Any,
    smtp_sink: Any,
    sessionmaker: Any,
) -> None:
    """A 4xx is transient: retried later, and three of them open the breaker."""
    greylisted = uid()
    await apply(user(greylisted))
    smtp_sink.refuse(f"{greylisted.hex[:10]}@example.test", "451 4.7.1 try again later")
    await _assign(apply, greylisted, n=4)
    worker = make_worker(settings)

    await worker.sender.run_once()

    assert await worker.sender.smtp_breaker.current_state() == "open"
    rows = await deliveries(sessionmaker, "email")
    assert {r.status for r in rows} == {"pending"}
    assert smtp_sink.messages() == []


async def test_verification_mail_goes_to_unverified_address_reset_does_not(
    apply: Any, sessionmaker: Any
) -> None:
    fresh, verified = uid(), uid()
    await apply(user(fresh, verified=False))
    await apply(user(verified, verified=True))
    await apply(verification(fresh, f"{fresh.hex[:10]}@example.test"))
    await apply(reset(fresh, f"{fresh.hex[:10]}@example.test"))
    await apply(reset(verified, f"{verified.hex[:10]}@example.test"))
    await apply(reset(verified, "someone-else@example.test"))
    mails = await deliveries(sessionmaker, "email")
    assert sorted((m.user_id, m.kind) for m in mails) == sorted(
        [(fresh, "verification"), (verified, "password_reset")]
    )
    assert all(m.notification_id is None for m in mails)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(Notification)) == 0


async def test_an_invitation_mail_reaches_the_address_with_its_link_once(
    apply: Any, settings: Any, make_worker: Any, smtp_sink: Any, sessionmaker: Any
) -> None:
    """No account, so no user and no preferences: the mail goes to the invited address, with
    the link to register; a redelivered event queues no second mail; the link is not kept."""
    from taskflow.events.contracts.projects import ProjectInvitationMailRequested

    address = f"{uid().hex[:10]}@example.test"
    event = ProjectInvitationMailRequested(
        project_id=uid(),
        invitation_id=uid(),
        email=address,
        project_name="Operations",
        inviter_name="Ada",
        role="admin",
        invite_url="http://spa.test/register?invite=one-time-invite",
        expires_at=datetime.now(UTC) + timedelta(days=14),
    )
    env = await apply(event)
    await apply(event, envelope=env)  # the same message again
    worker = make_worker(settings)
    await drain_sender(worker)
    msg = await smtp_sink.wait_for(lambda m: m["To"] == address)
    assert msg["Subject"] == "Ada invited you to Operations"
    text_part = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",)).get_content()
    assert "http://spa.test/register?invite=one-time-invite" in text_part
    assert 'href="http://spa.test/register?invite=one-time-invite"' in html_part
    assert "as admin" in text_part
    rows = [r for r in await deliveries(sessionmaker, "email") if r.recipient == address]
    assert [(r.kind, r.user_id, r.status, r.payload) for r in rows] == [
        ("invitation", None, "sent", None)
    ]
