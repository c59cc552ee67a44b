"""The private RabbitMQ node: its own ports and data, restartable, the shared node untouched."""

from __future__ import annotations

import socket

import aio_pika
import pytest

from taskflow.testing.rabbitmq_node import RabbitNode

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]


async def test_durable_messages_survive_a_restart_of_the_private_node(
    rabbit_node: RabbitNode,
) -> None:
    assert rabbit_node.port != 5672
    connection = await aio_pika.connect(rabbit_node.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue("kept", durable=True, arguments={"x-queue-type": "quorum"})
        await channel.default_exchange.publish(
            aio_pika.Message(b"still here", delivery_mode=2), routing_key="kept"
        )
    rabbit_node.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", rabbit_node.port), 1):
        pass  # really down
    # The shared broker never noticed.
    with socket.create_connection(("127.0.0.1", 5672), timeout=2):
        pass
    rabbit_node.start()
    connection = await aio_pika.connect(rabbit_node.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("kept", passive=True)
        message = await queue.get(timeout=10)
        assert message.body == b"still here"
        await message.ack()
    assert rabbit_node.starts == 2
