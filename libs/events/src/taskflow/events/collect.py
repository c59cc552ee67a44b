"""Taking the next unit of work off a consumer's local queue: one message, or a batch.

The consumer's subscription puts every delivery on an ``asyncio.Queue``; :func:`collect` waits
for the first one and, in batch mode, for more during ``batch_wait_ms``. A stop (or a lost
connection) ends the wait at once, so a partial batch is handled rather than held.
"""

from __future__ import annotations

import asyncio

from aio_pika.abc import AbstractIncomingMessage


async def collect(
    inbox: asyncio.Queue[AbstractIncomingMessage],
    stop: asyncio.Event,
    closed: asyncio.Event,
    *,
    batch_size: int,
    batch_wait_ms: int,
) -> list[AbstractIncomingMessage]:
    """Wait for one message (or stop); with ``batch_size > 1``, take more for a while.

    Returns an empty list when stopped or disconnected before any message came.
    """
    get = asyncio.ensure_future(inbox.get())
    stopped = asyncio.ensure_future(stop.wait())
    lost = asyncio.ensure_future(closed.wait())
    try:
        await asyncio.wait({get, stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
        if not get.done():
            return []
        batch = [get.result()]
        if batch_size == 1:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + batch_wait_ms / 1000
        while len(batch) < batch_size and not stopped.done() and not lost.done():
            try:
                batch.append(inbox.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            get = asyncio.ensure_future(inbox.get())
            await asyncio.wait(
                {get, stopped, lost}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            if not get.done():
                break
            batch.append(get.result())
        return batch
    finally:
        for waiter in (get, stopped, lost):
            if not waiter.done():
                waiter.cancel()
