"""The dispatcher on the real database and a real receiver, with an injected clock: failure
order and schedule, rotation overlap, the breaker, disabling, redelivery."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from taskflow.tasks.webhooks.schedule import RETRY_WAITS


async def _hook(client, project, url, **body):
    r = await client.post(
        f"/api/v1/projects/{project.id}/webhooks",
        json={"url": url, "event_types": ["*"], **body},
        headers=project.owner.h,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _ping(client, who, hook, clock=None):
    r = await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=who.h)
    assert r.status_code == 202, r.text
    if clock is not None:
        clock.catch_up()
    return r.json()


async def _attempts(client, who, hook):
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/attempts", headers=who.h)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def _delivery(sql, delivery_id):
    return (
        await sql(
            "SELECT state, attempts, next_attempt_at FROM tasks.webhook_deliveries WHERE id = :i",
            i=uuid.UUID(delivery_id),
        )
    )[0]


async def test_ping_is_signed_and_verifies_with_the_standard_library(
    client, make_user, make_project, receiver, dispatcher, clock
):
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.secrets = [hook["secret"]]
    ping = await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one() is True
    assert await dispatcher.send_one() is False
    [got] = receiver.got
    assert got.verified_with == [hook["secret"]]
    assert got.msg_id == ping["message_id"]
    assert got.msg_id.startswith("msg_")
    body = json.loads(got.body)
    assert body["type"] == "webhook.ping"
    assert body["data"] == {"webhook_id": hook["id"], "project_id": p.id}
    [attempt] = await _attempts(client, ann, hook)
    assert (attempt["status_code"], attempt["outcome"], attempt["response_excerpt"]) == (
        200,
        "succeeded",
        "ok",
    )
    assert attempt["duration_ms"] >= 0


async def test_failure_order_and_schedule(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql
):
    """timeout -> 500 -> 429 with Retry-After -> 410: three retries on schedule, then given up."""
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.secrets = [hook["secret"]]
    receiver.script = [
        reply(200, stall=3),  # longer than the 0.7 s read timeout
        reply(500, body=b"boom"),
        reply(429, {"retry-after": "7200"}, b"slow down"),
        reply(410, body=b"gone"),
    ]
    ping = await _ping(client, ann, hook, clock)

    assert await dispatcher.send_one()  # 1: timeout
    start = clock()
    state, attempts, due = await _delivery(sql, ping["id"])
    assert (state, attempts, due) == ("pending", 1, start + RETRY_WAITS[0])
    assert await dispatcher.send_one() is False  # not due yet

    clock.advance(RETRY_WAITS[0])
    assert await dispatcher.send_one()  # 2: 500
    assert await _delivery(sql, ping["id"]) == ("pending", 2, clock() + RETRY_WAITS[1])

    clock.advance(RETRY_WAITS[1])
    assert await dispatcher.send_one()  # 3: 429, asks for 2 h (the schedule says 30 min)
    assert await _delivery(sql, ping["id"]) == ("pending", 3, clock() + timedelta(hours=2))
    clock.advance(RETRY_WAITS[2])
    assert await dispatcher.send_one() is False  # Retry-After is honoured

    clock.advance(timedelta(hours=2) - RETRY_WAITS[2])
    assert await dispatcher.send_one()  # 4: 410 fails at once
    state, attempts, _ = await _delivery(sql, ping["id"])
    assert (state, attempts) == ("failed", 4)
    clock.advance(timedelta(days=4))
    assert await dispatcher.send_one() is False

    log = await _attempts(client, ann, hook)
    assert [(a["status_code"], a["outcome"], a["error"]) for a in log] == [
        (410, "failed", None),
        (429, "retry", None),
        (500, "retry", None),
        (None, "retry", "timeout"),
    ]
    assert [a["response_excerpt"] for a in log[:3]] == ["gone", "slow down", "boom"]
    # one message: the same webhook-id on every attempt, each correctly signed
    assert {g.msg_id for g in receiver.got} == {ping["message_id"]}
    assert all(g.verified_with == [hook["secret"]] for g in receiver.got)
    failed = await client.get(
        f"/api/v1/webhooks/{hook['id']}/deliveries?state=failed", headers=ann.h
    )
    assert [d["id"] for d in failed.json()["items"]] == [ping["id"]]


async def test_rotation_signs_with_both_secrets_for_24_hours(
    client, make_user, make_project, receiver, dispatcher, clock
):
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    old = hook["secret"]
    new = (await client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=ann.h)).json()[
        "secret"
    ]
    receiver.secrets = [old, new]
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    clock.advance(timedelta(hours=23, minutes=59))
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    clock.advance(timedelta(minutes=2))  # past the overlap
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    assert [sorted(g.verified_with) for g in receiver.got] == [
        sorted([old, new]),
        sorted([old, new]),
        [new],
    ]
    assert [len(g.headers["webhook-signature"].split(" ")) for g in receiver.got] == [2, 2, 1]


async def test_the_breaker_stops_calls_to_a_failing_endpoint(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql
):
    dispatcher.settings = dispatcher.settings.model_copy(update={"webhooks_breaker_fail_max": 2})
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.default = reply(503)
    pings = [await _ping(client, ann, hook, clock) for _ in range(3)]
    for _ in range(3):
        assert await dispatcher.send_one()
    assert len(receiver.started) == 2  # the third was not sent: the breaker is open
    rows = await sql("SELECT attempts, next_attempt_at FROM tasks.webhook_deliveries ORDER BY id")
    assert [r[0] for r in rows] == [1, 1, 0]  # no attempt spent while open
    assert rows[2][1] >= dispatcher.now() + timedelta(seconds=59)
    assert await dispatcher.breaker(uuid.UUID(hook["id"])).current_state() == "open"
    assert len(pings) == 3


async def test_an_endpoint_failing_for_five_days_is_disabled_and_admins_told(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql, outbox
):
    # the breaker's open time is real time (Redis): keep it out of a test of days
    dispatcher.settings = dispatcher.settings.model_copy(update={"webhooks_breaker_fail_max": 50})
    ann, cat, bob = await make_user(), await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(cat, "admin")
    await p.add(bob, "member")
    hook = await _hook(client, p, receiver.url)
    receiver.default = reply(500)
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    first = clock()
    got = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=ann.h)).json()
    assert got["active"] is True
    assert got["failing_since"] is not None
    # the retries of that one message keep failing, a day or less apart (4 days 23 h in all)
    for step in (timedelta(hours=23),) * 4 + (timedelta(hours=27),):
        clock.advance(step)
        await _ping(client, ann, hook)
        assert await dispatcher.send_one()
    assert clock() - first == timedelta(days=4, hours=23)
    assert (await sql("SELECT active FROM tasks.webhooks"))[0][0] is True  # inside five days
    clock.advance(timedelta(hours=1))
    assert await dispatcher.send_one()
    row = (await sql("SELECT active, disabled_reason, failing_since FROM tasks.webhooks"))[0]
    assert row == (False, "failing", first)
    [(_, data)] = await outbox("webhook.disabled")
    assert data["webhook_id"] == hook["id"]
    assert data["url_host"] == "127.0.0.1"
    assert sorted(data["admin_ids"]) == sorted([str(ann.id), str(cat.id)])
    clock.advance(timedelta(days=1))
    assert await dispatcher.send_one() is False  # nothing is sent to a disabled endpoint
    assert len(receiver.started) == 7


async def test_a_failure_after_a_long_silence_starts_a_new_streak(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql, outbox
):
    """One failure, six quiet days, one more failure: not five days of failing in a row."""
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.default = reply(400)  # fails at once: no retries fill the silence
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    clock.advance(timedelta(days=6))
    await _ping(client, ann, hook)
    assert await dispatcher.send_one()
    row = (await sql("SELECT active, failing_since FROM tasks.webhooks"))[0]
    assert row == (True, clock())
    assert await outbox("webhook.disabled") == []


async def test_a_success_ends_the_failure_streak(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql
):
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.script = [reply(500)]
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    assert (await sql("SELECT failing_since FROM tasks.webhooks"))[0][0] is not None
    clock.advance(timedelta(seconds=5))
    assert await dispatcher.send_one()
    assert (await sql("SELECT failing_since FROM tasks.webhooks"))[0][0] is None


async def test_redeliver_one_and_all_failed_since(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql
):
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.secrets = [hook["secret"]]
    receiver.default = reply(400)
    pings = [await _ping(client, ann, hook, clock) for _ in range(3)]
    for _ in range(3):
        assert await dispatcher.send_one()
    await sql(
        "UPDATE tasks.webhook_deliveries SET created_at = now() - interval '2 days' WHERE id = :i",
        i=uuid.UUID(pings[0]["id"]),
    )
    receiver.default = reply(200)
    base = f"/api/v1/webhooks/{hook['id']}"
    one = await client.post(f"{base}/deliveries/{pings[0]['id']}/redeliver", headers=ann.h)
    assert one.status_code == 202
    assert one.json()["state"] == "pending"
    again = await client.post(f"{base}/deliveries/{pings[0]['id']}/redeliver", headers=ann.h)
    assert again.status_code == 409  # still pending
    since = (
        await sql(
            "SELECT min(created_at) FROM tasks.webhook_deliveries WHERE id <> :i",
            i=uuid.UUID(pings[0]["id"]),
        )
    )[0][0]
    r = await client.post(
        f"{base}/redeliver-failed", json={"since": since.isoformat()}, headers=ann.h
    )
    assert r.status_code == 202
    assert r.json() == {"requeued": 2}
    clock.catch_up()  # requeued rows are due at the api's "now"
    for _ in range(3):
        assert await dispatcher.send_one()
    assert await dispatcher.send_one() is False
    states = await sql("SELECT state, attempts FROM tasks.webhook_deliveries")
    assert sorted(states) == [("succeeded", 2)] * 3
    resent = [g.msg_id for g in receiver.got[3:]]
    assert sorted(resent) == sorted(p_["message_id"] for p_ in pings)
    assert all(g.verified_with == [hook["secret"]] for g in receiver.got)
    bad = await client.post(f"{base}/redeliver-failed", json={"since": "yesterday"}, headers=ann.h)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "since"
    missing = await client.post(f"{base}/deliveries/{uuid.uuid4()}/redeliver", headers=ann.h)
    assert missing.status_code == 404


async def test_a_binary_answer_is_logged_as_text(
    client, make_user, make_project, receiver, reply, dispatcher, clock
):
    """NUL bytes and invalid UTF-8 in an answer do not break the attempt log."""
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    receiver.script = [reply(400, body=b"\x00\xff<bad>")]
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    [attempt] = await _attempts(client, ann, hook)
    assert attempt["status_code"] == 400
    assert attempt["outcome"] == "failed"
    assert attempt["response_excerpt"] == "\ufffd\ufffd<bad>"


async def test_secrets_never_reach_the_logs(
    client, make_user, make_project, receiver, dispatcher, clock, caplog
):
    import logging

    caplog.set_level(logging.DEBUG)
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url)
    rotated = await client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=ann.h)
    new = rotated.json()["secret"]
    await _ping(client, ann, hook, clock)
    assert await dispatcher.send_one()
    lines = [str(r.msg) + r.getMessage() for r in caplog.records]
    assert any("webhook_attempt" in line for line in lines), "dispatcher log not captured"
    for line in lines:
        for secret in (hook["secret"], new):
            assert secret not in line
            assert secret.removeprefix("whsec_") not in line


async def test_the_breaker_state_is_shared_by_replicas(
    client, make_user, make_project, receiver, reply, dispatcher, clock, sql
):
    """Two senders (own Redis connection, own breaker object, as two pods have): failures seen
    by one open the endpoint's breaker for the other, which then makes no call either."""
    from taskflow.common.db import Database
    from taskflow.common.redis import make_redis
    from taskflow.tasks.webhooks.dispatcher import Dispatcher, outbound_for

    settings = dispatcher.settings.model_copy(update={"webhooks_breaker_fail_max": 2})
    dispatcher.settings = settings
    db, redis_client, outbound = Database(settings), make_redis(settings), outbound_for(settings)
    other = Dispatcher(settings, db, outbound, redis_client, now=clock, rand=lambda: 0.5)
    try:
        ann = await make_user()
        p = await make_project(ann)
        hook = await _hook(client, p, receiver.url)
        receiver.default = reply(503)
        for _ in range(3):
            await _ping(client, ann, hook, clock)
        assert await dispatcher.send_one()
        assert await dispatcher.send_one()
        assert len(receiver.started) == 2
        hook_id = uuid.UUID(hook["id"])
        assert other.breaker(hook_id) is not dispatcher.breaker(hook_id)
        assert await other.breaker(hook_id).current_state() == "open"
        assert await other.send_one()  # claimed, but not sent: the breaker is open
        assert len(receiver.started) == 2
        rows = await sql("SELECT attempts FROM tasks.webhook_deliveries ORDER BY id")
        assert [r[0] for r in rows] == [1, 1, 0]
    finally:
        await outbound.aclose()
        await redis_client.aclose()
        await db.dispose()
