"""The per-session RabbitMQ vhost."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote, urlsplit

import aio_pika

from taskflow.testing import rabbitmq


def test_vhost_exists_and_url_points_at_it(amqp_vhost: rabbitmq.Vhost, amqp_url: str) -> None:
    assert amqp_vhost.name.startswith("tf-test-")
    assert amqp_url == amqp_vhost.url
    assert unquote(urlsplit(amqp_url).path[1:]) == amqp_vhost.name
    assert rabbitmq.vhost_exists(amqp_vhost.name)


async def test_message_round_trips_in_the_vhost(amqp_url: str) -> None:
    connection = await aio_pika.connect_robust(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue("roundtrip", auto_delete=True)
        await channel.default_exchange.publish(
            aio_pika.Message(b"hello", message_id="m-1"), routing_key=queue.name
        )
        message = await queue.get(timeout=5, fail=True)
        assert message is not None
        await message.ack()
        assert message.body == b"hello"
        assert message.message_id == "m-1"


async def test_vhosts_isolate_queues(amqp_url: str) -> None:
    other = await asyncio.to_thread(rabbitmq.create_vhost)
    try:
        assert other.name != urlsplit(amqp_url).path
        mine = await aio_pika.connect(amqp_url, timeout=10)
        theirs = await aio_pika.connect(other.url, timeout=10)
        async with mine, theirs:
            ch_mine, ch_theirs = await mine.channel(), await theirs.channel()
            await ch_mine.declare_queue("isolated", auto_delete=False)
            # The same name in the other vhost is a different, empty queue.
            await ch_mine.default_exchange.publish(aio_pika.Message(b"x"), routing_key="isolated")
            q = await ch_theirs.declare_queue("isolated", auto_delete=False)
            assert await q.get(fail=False, timeout=2) is None
    finally:
        await asyncio.to_thread(rabbitmq.delete_vhost, other)
    assert not await asyncio.to_thread(rabbitmq.vhost_exists, other.name)
