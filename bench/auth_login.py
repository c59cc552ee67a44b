"""Login throughput and latency at the production argon2id parameters, beside a raw hash loop.

    uv run python bench/auth_login.py [--logins 300] [--concurrency 8]

What it does, on the local servers (a throw-away database, a Redis prefix of its own):
1. The floor: argon2-cffi `PasswordHasher.verify` in a tight loop, on 1 thread and on 2 threads
   (the machine has 2 cores), with the production parameters (and, for comparison, OWASP's
   minimum m=19 MiB, t=2).
2. The service: `POST /api/v1/auth/login` through the real app (in-process ASGI, real
   PostgreSQL, Redis, signing key), `--concurrency` clients, each login a success for one of 50
   users; reports logins/s and p50/p99 latency.
The login path costs one argon2 verification plus ~6 SQL statements and one RS256 signature,
so its throughput should sit just under the 2-thread hash floor. A refresh run (no argon2)
shows what the rest of the request costs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from pydantic import SecretStr

from taskflow.auth.config import Settings
from taskflow.auth.main import build_app
from taskflow.testing.postgres import FreshDatabase
from taskflow.testing.redisdb import new_prefix, purge_prefix

PASSWORD = "Correct-Horse-Battery-42"
REDIS_URL = "redis://127.0.0.1:6379/0"


def hash_floor(ph: PasswordHasher, threads: int, seconds: float = 3.0) -> float:
    """Verifications per second of `threads` threads hammering argon2 verify."""
    digest = ph.hash(PASSWORD)
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(i: int) -> None:
        while time.perf_counter() < deadline:
            ph.verify(digest, PASSWORD)
            counts[i] += 1

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def single_latency(ph: PasswordHasher, n: int = 20) -> float:
    digest = ph.hash(PASSWORD)
    start = time.perf_counter()
    for _ in range(n):
        ph.verify(digest, PASSWORD)
    return (time.perf_counter() - start) / n * 1000


async def load(settings: Settings, logins: int, concurrency: int) -> None:
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://bench"
        ) as client,
    ):
        emails = [f"bench{i}@example.com" for i in range(50)]
        for email in emails:
            r = await client.post(
                "/api/v1/auth/register",
                json={"email": email, "password": PASSWORD, "display_name": "Bench"},
            )
            assert r.status_code == 201, r.text
        # Warm-up: signing key, pools.
        await client.post("/api/v1/auth/login", json={"email": emails[0], "password": PASSWORD})

        latencies: list[float] = []
        queue: asyncio.Queue[str] = asyncio.Queue()
        for i in range(logins):
            queue.put_nowait(emails[i % len(emails)])

        async def worker() -> None:
            while not queue.empty():
                email = queue.get_nowait()
                t0 = time.perf_counter()
                r = await client.post(
                    "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                )
                latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        report("service login", latencies, time.perf_counter() - start, concurrency)

        # Refresh: the same kind of request without argon2 (SQL + one RS256 signature).
        tokens = []
        for i in range(concurrency):
            r = await client.post(
                "/api/v1/auth/login", json={"email": emails[i], "password": PASSWORD}
            )
            tokens.append(r.json()["refresh_token"])
        refresh_latencies: list[float] = []
        per_worker = max(1, logins // concurrency)

        async def refresher(token: str) -> None:
            for _ in range(per_worker):
                t0 = time.perf_counter()
                r = await client.post("/api/v1/auth/refresh", json={"refresh_token": token})
                refresh_latencies.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
                token = r.json()["refresh_token"]

        start = time.perf_counter()
        await asyncio.gather(*(refresher(t) for t in tokens))
        report("service refresh", refresh_latencies, time.perf_counter() - start, concurrency)


def report(what: str, latencies: list[float], elapsed: float, concurrency: int) -> None:
    """One line: requests/s and p50/p99 latency."""
    latencies = sorted(latencies)
    n = len(latencies)

    def p(q: float) -> float:
        return latencies[min(n - 1, int(q * n))] * 1000

    print(
        f"{what:21}: {n / elapsed:7.1f} /s  p50 {p(0.50):6.1f} ms  p99 {p(0.99):6.1f} ms  "
        f"(mean {statistics.mean(latencies) * 1000:.1f} ms, {n} requests, "
        f"{concurrency} concurrent)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    prod = Settings()
    ph = PasswordHasher(
        time_cost=prod.argon2_time_cost,
        memory_cost=prod.argon2_memory_cost_kib,
        parallelism=prod.argon2_parallelism,
    )
    owasp = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    label = f"m={prod.argon2_memory_cost_kib // 1024}MiB,t={prod.argon2_time_cost},p=1"
    print(f"argon2id {label:22}: one verify {single_latency(ph):6.1f} ms")
    print(f"hash floor, 1 thread : {hash_floor(ph, 1):7.1f} verifies/s")
    print(f"hash floor, 2 threads: {hash_floor(ph, 2):7.1f} verifies/s")
    print(
        f"argon2id m=19MiB,t=2,p=1 (OWASP min): one verify {single_latency(owasp):6.1f} ms, "
        f"2 threads {hash_floor(owasp, 2):7.1f} verifies/s"
    )

    root = Path(__file__).resolve().parents[1]
    db = FreshDatabase.create(repo_root=root, sweep=False)
    prefix = new_prefix()
    try:
        url = db.migrate("auth")
        settings = Settings(
            database_url=SecretStr(url),
            redis_url=SecretStr(REDIS_URL),
            redis_prefix=prefix,
            environment="test",
            log_level="WARNING",
        )
        asyncio.run(load(settings, args.logins, args.concurrency))
    finally:
        purge_prefix(REDIS_URL, prefix)
        db.drop()


if __name__ == "__main__":
    main()
