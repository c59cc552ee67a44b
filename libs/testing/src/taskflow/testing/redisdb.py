"""A Redis key prefix per test session: runs share the server and database 0, never keys."""

from __future__ import annotations

import os
import secrets

import redis

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_url_from_env() -> str:
    """The Redis URL tests use (``TASKFLOW_TEST_REDIS_URL`` overrides the local default)."""
    return os.environ.get("TASKFLOW_TEST_REDIS_URL", DEFAULT_REDIS_URL)


def new_prefix() -> str:
    """A fresh ``tftest:<hex>`` prefix (no glob characters, so it is safe in SCAN MATCH)."""
    return f"tftest:{secrets.token_hex(6)}"


def purge_prefix(url: str, prefix: str) -> int:
    """Delete every key that starts with ``prefix``; return how many went.

    SCAN, not KEYS: KEYS blocks the server for every other client while it walks the keyspace.
    """
    if not prefix or any(ch in prefix for ch in "*?[]\\"):
        raise ValueError(f"refusing to purge with an empty or glob prefix: {prefix!r}")
    client = redis.Redis.from_url(url)
    deleted = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(client.unlink(*batch))
    finally:
        client.close()
    return deleted
