"""The parking admin router: guarded, lists and replays through the real broker."""

from __future__ import annotations

import secrets
from typing import Any

import aio_pika
import httpx
from fastapi import FastAPI, HTTPException, Request

from taskflow.events.admin import parking_router


async def test_parking_router_lists_and_replays(amqp_url: str) -> None:
    queue = f"admin.{secrets.token_hex(4)}"
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    await channel.declare_queue(queue, durable=True)
    await channel.declare_queue(f"{queue}.dlq", durable=True, arguments={"x-queue-version": 2})
    await channel.default_exchange.publish(
        aio_pika.Message(b"not json", message_id="m-1", headers={"x-error": "body is not JSON"}),
        routing_key=f"{queue}.dlq",
    )

    def guard(request: Request) -> None:
        if request.headers.get("x-role") != "admin":
            raise HTTPException(403)

    app = FastAPI()
    app.include_router(parking_router(queue, lambda _r: amqp_url, guard), prefix="/admin")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/admin/parked")).status_code == 403
            admin = {"x-role": "admin"}
            listed: Any = (await client.get("/admin/parked", headers=admin)).json()
            assert [i["message_id"] for i in listed["items"]] == ["m-1"]
            assert listed["items"][0]["error"] == "body is not JSON"
            replay = await client.post("/admin/parked/replay", json={}, headers=admin)
            assert replay.json() == {"queue": queue, "replayed": 1}
        back = await (await channel.get_queue(queue)).get(timeout=5)
        assert back.message_id == "m-1"
        await back.ack()
    finally:
        await channel.queue_delete(queue)
        await channel.queue_delete(f"{queue}.dlq")
        await connection.close()
