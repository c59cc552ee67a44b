"""Where one request of each hot path spends its CPU: cProfile over the in-process app.

    uv run python bench/tasks_profile.py                 # on the bench database (tasks_bench)
    uv run python bench/tasks_profile.py --database tasks_prof --seed   # a small scratch one

Runs each hot path (create, list one project with filters, search) sequentially, `--n` times
after a warm-up, under cProfile, and prints the mean wall time per request and the top
functions by cumulative and by own time. Sequential and in-process, so the figures are the
Python cost of one request plus its database round trips, not a load test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tasks_load as bench

from taskflow.common.security import StaticKeySource
from taskflow.tasks.config import Settings
from taskflow.tasks.main import build_app
from taskflow.testing.tokens import RsaKeys, make_token


def use_database(name: str) -> None:
    """Point the bench module's helpers at another scratch database."""
    bench.DB = name
    bench.SUPER = f"postgresql://postgres@127.0.0.1:5432/{name}"
    bench.SERVICE = f"postgresql+asyncpg://taskflow_tasks@127.0.0.1:5432/{name}"


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", default=bench.DB)
    ap.add_argument("--seed", action="store_true", help="(re)seed a small data set if empty")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--only", default=None, help="create | list | detail | search")
    ap.add_argument("--plain", action="store_true", help="no profiler: the bare CPU per request")
    ap.add_argument("--dump", default=None, help="write each path's profile to DIR/<path>.pstats")
    ap.add_argument("--statements", action="store_true", help="print one request's SQL")
    args = ap.parse_args()
    use_database(args.database)
    if args.seed and not await bench.prepare_database(True):
        await bench.seed(100, 20, 500)
    keys = RsaKeys.generate(1)
    settings = Settings(
        database_url=bench.SERVICE, environment="test", log_json=False, log_level="WARNING",
        redis_prefix=f"prof:{uuid.uuid4().hex[:8]}", db_pool_size=4, db_max_overflow=0,
    )  # fmt: skip
    app = build_app(settings, key_source=StaticKeySource(keys.jwks))
    conn = await asyncpg.connect(bench.SUPER)
    rows = await conn.fetch(
        "SELECT m.user_id, m.project_id FROM tasks.project_members m WHERE m.role = 'owner'"
    )
    owned = await conn.fetch(
        "SELECT m.user_id, t.id FROM tasks.project_members m JOIN tasks.tasks t"
        " ON t.project_id = m.project_id AND t.deleted_at IS NULL WHERE m.role = 'owner' LIMIT 2000"
    )
    await conn.close()
    rng = random.Random(1)
    pairs = [(r["user_id"], r["project_id"]) for r in rows]
    readable = [(r["user_id"], r["id"]) for r in owned]
    tokens = {u: make_token(keys.primary, u, expires_in=3600) for u, _ in pairs}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://prof", timeout=30
    ) as client:

        async def list_project(i: int) -> None:
            u, p = rng.choice(pairs)
            r = await client.get(
                f"/api/v1/projects/{p}/tasks",
                params={"status": ["todo", "in_progress"], "sort": "due_at", "limit": 50},
                headers={"Authorization": f"Bearer {tokens[u]}"},
            )
            assert r.status_code == 200, r.text

        async def detail(i: int) -> None:
            u, t = rng.choice(readable)
            r = await client.get(
                f"/api/v1/tasks/{t}", headers={"Authorization": f"Bearer {tokens[u]}"}
            )
            assert r.status_code == 200, r.text

        async def search(i: int) -> None:
            u, _ = rng.choice(pairs)
            r = await client.get(
                "/api/v1/tasks",
                params={"q": rng.choice(bench.COMMON)},
                headers={"Authorization": f"Bearer {tokens[u]}"},
            )
            assert r.status_code == 200, r.text

        async def create(i: int) -> None:
            u, p = rng.choice(pairs)
            r = await client.post(
                f"/api/v1/projects/{p}/tasks",
                json={"title": f"profile {i}", "priority": "high", "description": "x"},
                headers={"Authorization": f"Bearer {tokens[u]}"},
            )
            assert r.status_code == 201, r.text

        paths: list[tuple[str, Any]] = [
            ("create", create), ("list", list_project), ("detail", detail), ("search", search),
        ]  # fmt: skip
        for name, fn in paths:
            if args.only and name != args.only:
                continue
            if args.statements:
                await fn(-1)
                seen: list[str] = []

                def log(_c: Any, _k: Any, statement: str, *_: Any, seen: list[str] = seen) -> None:
                    seen.append(" ".join(statement.split())[:150])

                # The read engine (`db.reads`) inherits the parent engine's listeners.
                engine = app.state.db.engine.sync_engine
                event.listen(engine, "before_cursor_execute", log)
                await fn(-2)
                event.remove(engine, "before_cursor_execute", log)
                print(f"\n=== {name}: {len(seen)} statements")
                print("\n".join(f"  {s}" for s in seen))
                continue
            for i in range(30):
                await fn(i)
            # CPU time, not wall time: on a shared machine waiting for a core is not our cost.
            prof = cProfile.Profile(time.process_time)
            t0 = time.perf_counter()
            c0 = time.process_time()
            if not args.plain:
                prof.enable()
            for i in range(args.n):
                await fn(i)
            prof.disable()
            wall = (time.perf_counter() - t0) / args.n * 1000
            cpu = (time.process_time() - c0) / args.n * 1000
            how = "plain" if args.plain else "profiled"
            print(f"\n=== {name}: {wall:.2f} ms wall, {cpu:.2f} ms CPU ({how}) per request")
            if args.plain:
                continue
            if args.dump:
                prof.dump_stats(str(Path(args.dump) / f"{name}.pstats"))
            for key in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
                print("\n".join(out.getvalue().splitlines()[5:]))


if __name__ == "__main__":
    asyncio.run(main())
