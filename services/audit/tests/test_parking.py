"""Admins list and replay parked events over HTTP (the taskflow.events admin router)."""

from __future__ import annotations

from typing import Any

import aio_pika

from taskflow.audit.worker import queue_spec
from taskflow.events.topology import declare_exchange, declare_queue


async def test_admin_lists_and_replays_parked(
    client: Any, admin: dict[str, str], settings: Any, amqp_url: str
) -> None:
    spec = queue_spec(settings)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        ex = await declare_exchange(channel, settings.events_exchange)
        queue = await declare_queue(channel, ex, spec)
        await queue.purge()
        await channel.default_exchange.publish(
            aio_pika.Message(
                b"{not json", message_id="m-1", headers={"x-error": "body is not JSON"}
            ),
            routing_key=spec.dlq,
        )
    try:
        r = await client.get("/api/v1/audit/admin/parked", headers=admin)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [(i["message_id"], i["error"]) for i in items] == [("m-1", "body is not JSON")]
        r = await client.post("/api/v1/audit/admin/parked/replay", json={}, headers=admin)
        assert r.json()["replayed"] == 1
        r = await client.get("/api/v1/audit/admin/parked", headers=admin)
        assert r.json()["items"] == []
    finally:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in (spec.name, spec.dlq, *(q for q, _ in spec.retry_queues)):
                await channel.queue_delete(name)
