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


def _admin_app(queue: str, amqp_url: str) -> FastAPI:
    from fastapi.responses import JSONResponse

    from taskflow.common.errors import ProblemError

    async def problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return JSONResponse(exc.body(), status_code=exc.status_code)

    app = FastAPI()
    app.add_exception_handler(ProblemError, problem)
    app.include_router(parking_router(queue, lambda _r: amqp_url, lambda: None), prefix="/admin")
    return app


async def test_a_queue_that_never_parked_anything_lists_nothing(amqp_url: str) -> None:
    # Found by fuzzing: before the consumer first declared its topology, the parking queue did
    # not exist and both routes answered 500 (the broker's NOT_FOUND).
    queue = f"admin.{secrets.token_hex(4)}"
    transport = httpx.ASGITransport(app=_admin_app(queue, amqp_url))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        listed = await client.get("/admin/parked")
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"queue": queue, "items": []}
        replay = await client.post("/admin/parked/replay", json={})
        assert replay.status_code == 200, replay.text
        assert replay.json() == {"queue": queue, "replayed": 0}


async def test_an_unreachable_broker_is_503(amqp_url: str) -> None:
    from taskflow.testing import free_port

    app = _admin_app("admin.x", f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        replay = await client.post("/admin/parked/replay", json={})
        for r in (await client.get("/admin/parked"), replay):
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "broker_unavailable"
