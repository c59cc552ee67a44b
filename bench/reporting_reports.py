"""Reporting: summary and team report latency at 1,000,000 tasks, beside raw SQL floors.

Seeds a fresh database (its own, dropped at the end) with 1,000,000 task facts: 900 projects of
1,000 tasks and one big project of 100,000, 20 members each, two versions per task, one
assignee per task, 1% deleted. Then serves the reports through the real app (in-process ASGI,
token verification included) and times sequential requests; in the same run it times raw
asyncpg round trips: `SELECT 1` and the summary's percentile query, the floors our code sits on.

Run: `uv run python bench/reporting_reports.py [--requests 200]` (about 3 minutes on 2 cores).
See docs/performance.md, "Reporting".
"""

# ruff: noqa: E501  (the seed SQL reads better unwrapped)
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from taskflow.common.security import StaticKeySource
from taskflow.testing.postgres import FreshDatabase
from taskflow.testing.tokens import RsaKeys, make_token

SMALL_PROJECTS = 900
SMALL_SIZE = 1000
BIG_SIZE = 100_000
BIG = SMALL_PROJECTS  # project number of the big one
MEMBERS = 20


def pid(n: int) -> uuid.UUID:
    return uuid.UUID(int=(1 << 64) + n)


def user(project: int, k: int) -> uuid.UUID:
    return uuid.UUID(int=(2 << 64) + project * MEMBERS + k)


SEED = f"""
SET synchronous_commit = off;
CREATE TEMP TABLE seed AS
SELECT i,
       ('00000000-0000-0003-0000-' || lpad(to_hex(i), 12, '0'))::uuid AS tid,
       CASE WHEN i <= {SMALL_PROJECTS * SMALL_SIZE} THEN (i - 1) / {SMALL_SIZE} ELSE {BIG} END AS pn,
       (ARRAY['todo','in_progress','blocked','done','done','done','done','cancelled','todo','done'])
         [1 + i % 10] AS st,
       (ARRAY['none','low','medium','high','urgent'])[1 + i % 5] AS pr,
       timestamptz '2026-01-01' + (i % 300) * interval '1 day' + (i % 1440) * interval '1 minute'
         AS c
FROM generate_series(1, {SMALL_PROJECTS * SMALL_SIZE + BIG_SIZE}) AS i;

INSERT INTO reporting.task_facts (task_id, project_id, version, status, category, priority,
    created_at,
    started_at, completed_at, reported_completed_at, due_at, times_reopened, deleted,
    milestone_id, assignee_ids)
SELECT tid, ('00000000-0000-0001-0000-' || lpad(to_hex(pn), 12, '0'))::uuid, 2, st,
       CASE st WHEN 'blocked' THEN 'in_progress' ELSE st END, pr, c,
       CASE WHEN st IN ('in_progress', 'done') THEN c + (i % 48) * interval '1 hour' END,
       CASE WHEN st = 'done' THEN c + (48 + i % 200) * interval '1 hour' END,
       CASE WHEN st = 'done' THEN c + (48 + i % 200) * interval '1 hour' END,
       CASE WHEN i % 10 < 7 THEN c + (3 + i % 14) * interval '1 day' END,
       0, i % 100 = 0, NULL,
       ARRAY[('00000000-0000-0002-0000-' || lpad(to_hex(pn * {MEMBERS} + i % {MEMBERS}), 12, '0'))::uuid]
FROM seed;

INSERT INTO reporting.task_versions (task_id, version, project_id, status, category, deleted,
    due_at, milestone_id, at)
SELECT task_id, 1, project_id, 'todo', 'todo', false, due_at, NULL, created_at
FROM reporting.task_facts;
INSERT INTO reporting.task_versions (task_id, version, project_id, status, category, deleted,
    due_at, milestone_id, at)
SELECT task_id, 2, project_id, status, category, deleted, due_at, NULL,
       coalesce(completed_at, started_at, created_at + interval '1 hour')
FROM reporting.task_facts;

INSERT INTO reporting.task_assignees (task_id, user_id, project_id)
SELECT task_id, assignee_ids[1], project_id FROM reporting.task_facts;

INSERT INTO reporting.members (project_id, user_id, role, active, changed_at)
SELECT ('00000000-0000-0001-0000-' || lpad(to_hex(p), 12, '0'))::uuid,
       ('00000000-0000-0002-0000-' || lpad(to_hex(p * {MEMBERS} + k), 12, '0'))::uuid,
       CASE WHEN k = 0 THEN 'owner' WHEN k = 1 THEN 'admin' ELSE 'member' END, true,
       timestamptz '2026-01-01'
FROM generate_series(0, {BIG}) AS p, generate_series(0, {MEMBERS - 1}) AS k;

INSERT INTO reporting.projects (project_id) SELECT DISTINCT project_id FROM reporting.members;
INSERT INTO reporting.event_log (event_id, type, project_id, occurred_at, envelope)
SELECT gen_random_uuid(), 'task.created', project_id, timestamptz '2026-11-01', '{{}}'::jsonb
FROM reporting.projects;
"""


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"{name:<44} n={len(ms):<4} p50={pct(ms, 0.5):7.2f} ms  p95={pct(ms, 0.95):7.2f} ms  "
        f"mean={statistics.fmean(ms):7.2f} ms"
    )


async def timed(n: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    for _ in range(min(5, n)):  # warm caches and the pool
        await call()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await call()
        out.append(time.perf_counter() - t0)
    return out


async def main(requests: int) -> None:
    db = FreshDatabase.create()
    try:
        url = db.migrate("reporting")
        t0 = time.perf_counter()
        admin = await asyncpg.connect(db.admin_dsn)
        await admin.execute(SEED)
        await admin.execute(
            "ANALYZE reporting.task_facts, reporting.task_versions, "
            "reporting.task_assignees, reporting.members, reporting.event_log"
        )
        n = await admin.fetchval("SELECT count(*) FROM reporting.task_facts")
        await admin.close()
        print(f"seeded {n} tasks in {time.perf_counter() - t0:.1f} s")
        await run(url, db.dsn_for("taskflow_reporting"), requests)
    finally:
        db.drop()


async def run(url: str, dsn: str, requests: int) -> None:
    from taskflow.reporting.config import Settings
    from taskflow.reporting.main import build_app

    keys = RsaKeys.generate(1)
    app = build_app(
        Settings(
            database_url=SecretStr(url), environment="test", log_level="WARNING", log_json=False
        ),
        key_source=StaticKeySource(keys.jwks),
    )
    rng = random.Random(1)
    raw = await asyncpg.connect(dsn)
    percentile_sql = (
        "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY extract(epoch FROM "
        "completed_at - started_at)) FROM task_facts WHERE project_id = $1 AND status = 'done' "
        "AND NOT deleted AND completed_at IS NOT NULL"
    )
    results: list[str] = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client,
    ):
        tokens = {p: make_token(keys.primary, user(p, 0)) for p in range(BIG + 1)}

        def report(kind: str, big: bool) -> Callable[[], Awaitable[Any]]:
            async def call() -> None:
                p = BIG if big else rng.randrange(SMALL_PROJECTS)
                r = await client.get(
                    f"/api/v1/reports/projects/{pid(p)}/{kind}",
                    headers={"Authorization": f"Bearer {tokens[p]}"},
                )
                assert r.status_code == 200, r.text

            return call

        async def select1() -> None:
            await raw.fetchval("SELECT 1")

        async def raw_percentile() -> None:
            await raw.fetchval(percentile_sql, pid(rng.randrange(SMALL_PROJECTS)))

        async def raw_percentile_big() -> None:
            await raw.fetchval(percentile_sql, pid(BIG))

        results.append(line("floor: asyncpg SELECT 1", await timed(requests, select1)))
        results.append(
            line(
                "floor: asyncpg percentile, 1k-task project", await timed(requests, raw_percentile)
            )
        )
        results.append(
            line("summary, 1k-task project (HTTP)", await timed(requests, report("summary", False)))
        )
        results.append(
            line("team, 1k-task project (HTTP)", await timed(requests, report("team", False)))
        )
        big_n = max(20, requests // 4)
        results.append(
            line(
                "floor: asyncpg percentile, 100k-task project",
                await timed(big_n, raw_percentile_big),
            )
        )
        results.append(
            line("summary, 100k-task project (HTTP)", await timed(big_n, report("summary", True)))
        )
        results.append(
            line("team, 100k-task project (HTTP)", await timed(big_n, report("team", True)))
        )
    await raw.close()
    print("\n".join(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(main(parser.parse_args().requests))
