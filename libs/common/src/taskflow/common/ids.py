"""Time-ordered UUIDs (RFC 9562 version 7): the id of every new row and every event.

Python 3.11 has no ``uuid.uuid7``. Ids made here sort by creation time, which keeps B-tree
indexes on ids compact and makes ids readable as a rough timeline.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """Return a new UUIDv7: 48-bit Unix milliseconds, then a 12-bit counter and 62 random bits.

    Within one millisecond the counter (``rand_a``, RFC 9562 method 1) keeps ids of this process
    strictly increasing; its start is random so that two processes do not share a sequence.
    """
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x1FF  # leave room to count up
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)


def new_id() -> uuid.UUID:
    """A new row id: a UUIDv7 (the column default of every service's primary keys)."""
    return uuid7()
