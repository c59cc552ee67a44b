"""The per-session Redis key prefix and its cleanup."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from taskflow.testing.redisdb import new_prefix, purge_prefix


async def test_prefix_is_unique_and_usable(redis_url: str, redis_prefix: str) -> None:
    assert redis_prefix.startswith("tftest:")
    assert new_prefix() != redis_prefix
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.set(f"{redis_prefix}:probe", "1", ex=60)
        assert await client.get(f"{redis_prefix}:probe") == b"1"
    finally:
        await client.aclose()


async def test_purge_deletes_only_keys_with_the_prefix(redis_url: str) -> None:
    mine, other = new_prefix(), new_prefix()
    client = aioredis.Redis.from_url(redis_url)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for i in range(1200):  # more than one SCAN page and one UNLINK batch
                pipe.set(f"{mine}:k{i}", i, ex=60)
            pipe.set(f"{other}:keep", 1, ex=60)
            await pipe.execute()
        assert purge_prefix(redis_url, mine) == 1200
        assert [k async for k in client.scan_iter(match=f"{mine}*")] == []
        assert await client.get(f"{other}:keep") == b"1"
    finally:
        await client.delete(f"{other}:keep")
        await client.aclose()


def test_purge_refuses_glob_or_empty_prefixes(redis_url: str) -> None:
    for bad in ("", "*", "tftest:*", "a?b"):
        with pytest.raises(ValueError, match="refusing"):
            purge_prefix(redis_url, bad)
