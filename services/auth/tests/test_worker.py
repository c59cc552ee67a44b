"""The worker's relay publishes the outbox to RabbitMQ; SIGTERM-style stop ends it cleanly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aio_pika
from auth_testkit import Api
from pydantic import SecretStr

from taskflow.auth.config import Settings
from taskflow.auth.worker import run_worker
from taskflow.testing import wait_until


async def test_relay_publishes_user_events(
    api: Api, amqp_url: str, make_settings: Callable[..., Settings]
) -> None:
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "taskflow.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue("", exclusive=True)
        await queue.bind(exchange, routing_key="user.#")
        user = await api.register()

        stop = asyncio.Event()
        worker = asyncio.create_task(
            run_worker(make_settings(amqp_url=SecretStr(amqp_url)), stop=stop)
        )
        received: list[dict[str, Any]] = []

        async def got_both() -> bool:
            message = await queue.get(no_ack=True, fail=False, timeout=1)
            if message is not None:
                received.append(json.loads(message.body))
            return {m["type"] for m in received} >= {
                "user.registered",
                "user.verification_requested",
            }

        await wait_until(got_both, timeout=30)
        stop.set()
        await asyncio.wait_for(worker, timeout=30)
        registered = next(m for m in received if m["type"] == "user.registered")
        assert registered["source"] == "taskflow/auth"
        assert registered["subject"] == f"user/{user['id']}"
        assert registered["data"]["email"] == user["email"]
    finally:
        await connection.close()
