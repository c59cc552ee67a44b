"""Tasks service at a million tasks: list, search, create and update at concurrency 32.

Run by hand (not part of `make test`):

    uv run python bench/tasks_load.py                 # 1,000,000 tasks over 1,000 projects
    uv run python bench/tasks_load.py --tasks-per-project 100 --requests 500   # a quick one
    uv run python bench/tasks_load.py --reuse         # keep the seeded database between runs

What it does:
1. creates a scratch database `tasks_bench` (init.sql, then the tasks migrations as role
   taskflow_tasks) unless `--reuse` finds one already seeded;
2. seeds users, projects, memberships (each user in 10 projects, each project 10 members) and
   tasks with one INSERT ... SELECT over generate_series (titles and descriptions drawn from a
   vocabulary with a few frequent words), secondary indexes dropped during the load and rebuilt
   after, then VACUUM ANALYZE;
3. drives the real app (`build_app`, every middleware, token verification, the request session)
   in-process through httpx's ASGI transport with 32 concurrent clients, and prints p50/p95/p99
   and throughput per workload;
4. runs the same SQL the service runs for the hot reads straight through asyncpg at the same
   concurrency (the floor), and prints EXPLAIN (ANALYZE, BUFFERS) of each hot query.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.dialects import postgresql

from taskflow.common.migrations import upgrade
from taskflow.common.security import StaticKeySource
from taskflow.tasks.config import Settings
from taskflow.tasks.main import build_app
from taskflow.tasks.tasks.list_query import list_statement
from taskflow.tasks.tasks.schemas import TaskFilters
from taskflow.testing.tokens import RsaKeys, make_token

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "tasks_bench"
SUPER = f"postgresql://postgres@127.0.0.1:5432/{DB}"
SERVICE = f"postgresql+asyncpg://taskflow_tasks@127.0.0.1:5432/{DB}"
COMMON = [
    "deploy", "invoice", "firewall", "report", "review", "customer", "audit", "payment",
    "database", "release", "incident", "migration", "backup", "contract", "onboarding",
    "security", "budget", "meeting", "vendor", "compliance",
]  # fmt: skip
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dor", "fen",
             "gal", "hum", "jix", "mor", "nal", "pex", "tor"]  # fmt: skip


def vocabulary(rng: random.Random) -> list[str]:
    """~4,000 rare pseudo-words plus frequent real ones (each frequent word ~1% of words)."""
    rare = sorted({"".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(6000)})[:4000]
    return rare + COMMON * 40


def percentiles(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)

    def q(p: float) -> float:
        return s[min(len(s) - 1, int(p * len(s)))] * 1000

    return {"p50": q(0.50), "p95": q(0.95), "p99": q(0.99), "mean": statistics.fmean(s) * 1000}


async def drive(
    name: str, requests: int, concurrency: int, one: Callable[[int], Awaitable[None]]
) -> dict[str, Any]:
    """Run `one(i)` `requests` times with `concurrency` workers; latency stats."""
    lat: list[float] = []
    counter = iter(range(requests))

    async def worker() -> None:
        for i in counter:
            t0 = time.perf_counter()
            await one(i)
            lat.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    wall = time.perf_counter() - t0
    out = {"name": name, "requests": requests, "per_s": requests / wall, **percentiles(lat)}
    print(
        f"{name:<34} n={requests:<6} p50={out['p50']:7.2f} ms  p95={out['p95']:7.2f} ms  "
        f"p99={out['p99']:7.2f} ms  {out['per_s']:8.0f}/s",
        flush=True,
    )
    return out


# --- database -------------------------------------------------------------------------------


async def prepare_database(reuse: bool) -> bool:
    """Make the scratch database; True when it already holds a seeded data set (`--reuse`)."""
    admin = await asyncpg.connect(ADMIN)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB)
        if exists and reuse:
            conn = await asyncpg.connect(SUPER)
            try:
                n = await conn.fetchval("SELECT count(*) FROM tasks.projects")
                if n:
                    # bring the seeded data set up to the newest migration
                    await asyncio.to_thread(upgrade, ROOT / "services/tasks/alembic.ini", SERVICE)
                    return True
            except asyncpg.UndefinedTableError:
                pass
            finally:
                await conn.close()
        if exists:
            await admin.execute(f"DROP DATABASE {DB} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DB} TEMPLATE template0")
    finally:
        await admin.close()
    conn = await asyncpg.connect(SUPER)
    try:
        await conn.execute((ROOT / "infra/postgres/init.sql").read_text())
    finally:
        await conn.close()
    await asyncio.to_thread(upgrade, ROOT / "services/tasks/alembic.ini", SERVICE)
    return False


SEED = """
INSERT INTO tasks.users (id, email, display_name, timezone)
SELECT md5('user' || u)::uuid, 'user' || u || '@example.com', 'User ' || u, 'UTC'
FROM generate_series(1, $1::int) u;

INSERT INTO tasks.projects (id, key, name, status, health, created_by, task_counter)
SELECT md5('project' || p)::uuid, 'P' || lpad(p::text, 5, '0'), 'Project ' || p,
       (ARRAY['planning','active','on_hold','completed'])[1 + p % 4], 'on_track',
       md5('user' || (1 + (p - 1) % $1::int))::uuid, $2::int
FROM generate_series(1, $3::int) p;

-- The default workflow of every project (what a project created over the API gets).
INSERT INTO tasks.project_statuses (id, project_id, name, category, colour, position)
SELECT gen_random_uuid(), md5('project' || p)::uuid, d.name, d.category, d.colour, d.position
FROM generate_series(1, $3::int) p CROSS JOIN (VALUES
  ('todo', 'todo', '#6b7280', 0), ('in_progress', 'in_progress', '#3b82f6', 1),
  ('blocked', 'in_progress', '#ef4444', 2), ('done', 'done', '#22c55e', 3),
  ('cancelled', 'cancelled', '#9ca3af', 4)) AS d(name, category, colour, position);

INSERT INTO tasks.project_members (project_id, user_id, role)
SELECT md5('project' || p)::uuid, md5('user' || (1 + (p - 1 + k * 97) % $1::int))::uuid,
       CASE WHEN k = 0 THEN 'owner' ELSE 'member' END
FROM generate_series(1, $3::int) p, generate_series(0, 9) k
ON CONFLICT DO NOTHING;
"""

TASKS = """
INSERT INTO tasks.tasks (id, project_id, number, title, description, status, status_id,
    status_category, priority, assignee_ids, due_at, position, created_by, created_at,
    updated_at, completed_at, version)
SELECT gen_random_uuid(), md5('project' || p)::uuid, n,
    array_to_string(ARRAY(SELECT ($2::text[])[1 + floor(random() * $3)::int]
                          FROM generate_series(1, 3 + (n % 5))), ' '),
    array_to_string(ARRAY(SELECT ($2::text[])[1 + floor(random() * $3)::int]
                          FROM generate_series(1, 8 + (n % 13))), ' '),
    st, s.id, s.category, (n * 7 + p) % 5,
    CASE WHEN n % 7 = 0 THEN '{}'::uuid[]
         ELSE ARRAY[md5('user' || (1 + (p - 1 + (n % 10) * 97) % $4::int))::uuid] END,
    CASE WHEN n % 5 = 0 THEN NULL
         ELSE now() + make_interval(hours => ((n * 37 + p * 11) % 2880) - 1440) END,
    n, md5('user' || (1 + (p - 1) % $4::int))::uuid, c, c + make_interval(hours => n % 300),
    CASE WHEN st = 'done' THEN c + interval '1 day' END, 1
FROM generate_series($5::int, $6::int) p, generate_series(1, $1::int) n,
     LATERAL (SELECT (ARRAY['todo','todo','in_progress','blocked','done','done','cancelled'])
                       [1 + (n * 13 + p) % 7] AS st,
                     now() - make_interval(mins => ((n * 7919 + p * 104729) % 525600)) AS c) x,
     LATERAL (SELECT id, category FROM tasks.project_statuses
              WHERE project_id = md5('project' || p)::uuid AND name = x.st) s;
"""


async def seed(users: int, projects: int, per_project: int) -> None:
    """Fill the database fast (see module docstring)."""
    rng = random.Random(42)
    words = vocabulary(rng)
    conn = await asyncpg.connect(SUPER)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        t0 = time.perf_counter()
        await conn.execute(
            SEED.replace("$1", str(users))
            .replace("$2", str(per_project))
            .replace("$3", str(projects))
        )
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'tasks' "
            "AND tablename = 'tasks' AND indexname NOT LIKE 'pk_%' AND indexname NOT LIKE 'uq_%'"
        )
        for row in indexes:
            await conn.execute(f"DROP INDEX tasks.{row['indexname']}")
        step = max(1, 200_000 // per_project)
        for start in range(1, projects + 1, step):
            end = min(projects, start + step - 1)
            await conn.execute(TASKS, per_project, words, len(words), users, start, end)
            print(f"  seeded projects {start}-{end}", flush=True)
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute(
            "UPDATE tasks.projects p SET tasks_total = s.total, tasks_done = s.done FROM ("
            " SELECT project_id, count(*) FILTER (WHERE status_category <> 'cancelled') AS total,"
            " count(*) FILTER (WHERE status_category = 'done') AS done FROM tasks.tasks"
            " GROUP BY project_id) s WHERE s.project_id = p.id"
        )
        await conn.execute("VACUUM ANALYZE")
        print(f"seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        await conn.close()


# --- the api as deployed: uvicorn worker processes -----------------------------------------


def uvicorn_app() -> Any:
    """App factory for the uvicorn workers (`--factory`): the bench's keys and database.

    Each worker gets half of the bench pool, so the workers together hold as many database
    connections as the in-process run.
    """
    settings = Settings(
        database_url=SERVICE, environment="test", log_json=False, log_level="WARNING",
        redis_prefix=os.environ["TASKS_BENCH_PREFIX"],
        db_pool_size=int(os.environ["TASKS_BENCH_POOL"]), db_max_overflow=0,
    )  # fmt: skip
    return build_app(
        settings, key_source=StaticKeySource(json.loads(os.environ["TASKS_BENCH_JWKS"]))
    )


@contextlib.contextmanager
def serve(keys: RsaKeys, workers: int, port: int, pool: int) -> Iterator[None]:
    """Run `uvicorn --workers N` on the bench app; stopped (SIGTERM, then kill) on exit."""
    env = {
        **os.environ,
        "TASKS_BENCH_JWKS": json.dumps(keys.jwks),
        "TASKS_BENCH_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
        "TASKS_BENCH_POOL": str(max(1, pool // workers)),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent),
         "--factory", "tasks_load:uvicorn_app", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_ready(client: httpx.AsyncClient) -> None:
    """Poll until the workers answer (any HTTP answer will do)."""
    for _ in range(300):
        try:
            await client.get("/api/v1/tasks")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


# --- the workloads --------------------------------------------------------------------------


def compiled(**kw: Any) -> str:
    """The service's own list/search SQL with literal values (for EXPLAIN and the floor)."""
    stmt = list_statement(after=None, limit=50, **kw)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    # literal_binds renders a uuid[] parameter as a text array; give it its type back
    return re.sub(r"(ARRAY\[(?:'[0-9a-f-]{36}'(?:, )?)+\])", r"\1::uuid[]", sql)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=1000)
    ap.add_argument("--tasks-per-project", type=int, default=1000)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--mode", choices=["inproc", "uvicorn", "both"], default="both",
        help="drive the app in-process (ASGI), as real uvicorn workers over TCP, or both",
    )  # fmt: skip
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8792)
    args = ap.parse_args()

    if not await prepare_database(args.reuse):
        await seed(args.users, args.projects, args.tasks_per_project)
    keys = RsaKeys.generate(1)
    settings = Settings(
        database_url=SERVICE, environment="test", log_json=False, log_level="WARNING",
        redis_prefix=f"bench:{uuid.uuid4().hex[:8]}", db_pool_size=32, db_max_overflow=0,
    )  # fmt: skip
    app = build_app(settings, key_source=StaticKeySource(keys.jwks))
    conn = await asyncpg.connect(SUPER)
    members = await conn.fetch(
        "SELECT user_id, project_id FROM tasks.project_members ORDER BY user_id, project_id"
    )
    task_ids = [
        r[0]
        for r in await conn.fetch("SELECT id FROM tasks.tasks WHERE random() < 0.02 LIMIT 20000")
    ]
    await conn.close()
    users = sorted({r["user_id"] for r in members})
    projects_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for r in members:
        projects_of.setdefault(r["user_id"], []).append(r["project_id"])
    owner_of = {}
    for r in members:
        owner_of.setdefault(r["project_id"], r["user_id"])
    tokens = {u: make_token(keys.primary, u, expires_in=3600) for u in users}
    rng = random.Random(7)
    results: list[dict[str, Any]] = []
    words = COMMON

    def h(u: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[u]}"}

    async def app_workloads(client: httpx.AsyncClient, tag: str) -> None:
        """Every workload through `client` (in-process ASGI or real uvicorn over TCP)."""

        async def check(r: httpx.Response) -> None:
            if r.status_code >= 400:
                raise RuntimeError(f"{r.status_code} {r.text[:300]}")

        async def list_project(i: int) -> None:
            u = rng.choice(users)
            p = rng.choice(projects_of[u])
            await check(
                await client.get(
                    f"/api/v1/projects/{p}/tasks",
                    params={"status": ["todo", "in_progress"], "sort": "due_at", "limit": 50},
                    headers=h(u),
                )
            )

        async def list_mine(i: int) -> None:
            u = rng.choice(users)
            await check(
                await client.get(
                    "/api/v1/tasks",
                    params={
                        "assignee": "me",
                        "status": ["todo", "in_progress"],
                        "sort": "due_at",
                        "limit": 50,
                    },
                    headers=h(u),
                )
            )

        async def list_overdue(i: int) -> None:
            u = rng.choice(users)
            await check(
                await client.get(
                    "/api/v1/tasks",
                    params={"overdue": "true", "sort": "-priority", "limit": 50},
                    headers=h(u),
                )
            )

        async def search(i: int) -> None:
            u = rng.choice(users)
            await check(
                await client.get("/api/v1/tasks", params={"q": rng.choice(words)}, headers=h(u))
            )

        async def search_prefix(i: int) -> None:
            u = rng.choice(users)
            q = f"{rng.choice(words)} {rng.choice(words)[:4]}"
            await check(await client.get("/api/v1/tasks", params={"q": q}, headers=h(u)))

        async def create(i: int) -> None:
            p = rng.choice(list(owner_of))
            await check(
                await client.post(
                    f"/api/v1/projects/{p}/tasks",
                    json={
                        "title": f"bench {rng.choice(words)} {i}",
                        "priority": "high",
                        "description": "created by the benchmark",
                    },
                    headers=h(owner_of[p]),
                )
            )

        task_project: dict[uuid.UUID, uuid.UUID] = {}
        conn = await asyncpg.connect(SUPER)
        for r in await conn.fetch(
            "SELECT id, project_id FROM tasks.tasks WHERE id = ANY($1)", task_ids
        ):
            task_project[r[0]] = r[1]
        await conn.close()
        sample = list(task_project)

        async def update(i: int) -> None:
            t = sample[i % len(sample)]
            await check(
                await client.patch(
                    f"/api/v1/tasks/{t}",
                    json={"priority": rng.choice(["low", "medium", "urgent"]), "progress": i % 101},
                    headers=h(owner_of[task_project[t]]),
                )
            )

        n, c = args.requests, args.concurrency
        await drive(f"{tag}warm-up (list)", min(n, 300), c, list_project)
        for name, fn in [
            ("list project (status, sort due)", list_project),
            ("list all mine (assignee=me)", list_mine),
            ("list all mine (overdue)", list_overdue),
            ("search (one word)", search),
            ("search (word + prefix)", search_prefix),
            ("create", create),
            ("update", update),
        ]:
            results.append(await drive(f"{tag}{name}", n, c, fn))
        for name, fn in [
            ("list project", list_project),
            ("list all mine", list_mine),
            ("search (one word)", search),
        ]:
            results.append(await drive(f"{tag}{name} @ concurrency 1", min(n, 500), 1, fn))

    n, c = args.requests, args.concurrency
    if args.mode in ("inproc", "both"):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=30
        ) as client:
            await app_workloads(client, "in-process: ")
    if args.mode in ("uvicorn", "both"):
        with serve(keys, args.workers, args.port, c):
            limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{args.port}", timeout=30, limits=limits
            ) as client:
                await wait_ready(client)
                await app_workloads(client, f"uvicorn x{args.workers}: ")

    # --- the floor: the same SQL straight through asyncpg, and the plans --------------------
    pool = await asyncpg.create_pool(SUPER, min_size=c, max_size=c)

    def hot_for(u: uuid.UUID) -> dict[str, str]:
        """The hot queries exactly as the service builds them for user `u`."""
        mine = projects_of[u]
        return {
            "list project": compiled(
                me=u, project_id=mine[0], filters=TaskFilters(status=["todo", "in_progress"]),
                sort_name="due_at"),
            "list all mine": compiled(
                me=u, project_id=None,
                filters=TaskFilters(assignee="me", status=["todo", "in_progress"]),
                sort_name="due_at"),
            "search": compiled(
                me=u, project_id=None, filters=TaskFilters(q="firewall"), sort_name="rank",
                search_scope=mine),
            "search prefix": compiled(
                me=u, project_id=None, filters=TaskFilters(q="invoice fire"), sort_name="rank",
                search_scope=mine),
        }  # fmt: skip

    prepared = [hot_for(u) for u in rng.sample(users, min(len(users), 200))]
    hot = prepared[0]

    async def ping(i: int) -> None:
        await pool.fetchval("SELECT 1")

    await drive("warm-up (raw pool)", 4 * c, c, ping)
    for name in hot:

        async def raw(i: int, name: str = name) -> None:
            async with pool.acquire() as conn:
                await conn.fetch(prepared[i % len(prepared)][name])

        results.append(await drive(f"raw SQL: {name}", n, c, raw))
    project_ids = list(owner_of)

    async def raw_create(i: int) -> None:
        """The create transaction's statements without the app: counter, task, counts,
        activity, outbox row, notify."""
        p = rng.choice(project_ids)
        async with pool.acquire() as conn, conn.transaction():
            number = await conn.fetchval(
                "UPDATE tasks.projects SET task_counter = task_counter + 1 WHERE id = $1 "
                "RETURNING task_counter",
                p,
            )
            tid = uuid.uuid4()
            await conn.execute(
                "INSERT INTO tasks.tasks (id, project_id, number, title, description, created_by,"
                " position) VALUES ($1, $2, $3, $4, 'raw', $5, $6)",
                tid,
                p,
                number,
                f"raw {i}",
                owner_of[p],
                float(number),
            )
            await conn.execute(
                "UPDATE tasks.projects SET tasks_total = tasks_total + 1 WHERE id = $1", p
            )
            await conn.execute(
                "INSERT INTO tasks.activity (id, project_id, task_id, actor_id, action, changes)"
                " VALUES ($1, $2, $3, $4, 'task.created', '{}')",
                uuid.uuid4(),
                p,
                tid,
                owner_of[p],
            )
            await conn.execute(
                "INSERT INTO tasks.outbox (event_id, event_type, aggregate_id, partition,"
                " routing_key, envelope) VALUES ($1, 'task.created', $2, 0, 'task.created', $3)",
                uuid.uuid4(),
                str(tid),
                json.dumps({"raw": True}),
            )
            await conn.execute("SELECT pg_notify('outbox_tasks_outbox', '')")

    results.append(await drive("raw SQL: create transaction", n, c, raw_create))
    async with pool.acquire() as conn:
        for name, sql in hot.items():
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print(f"\n--- {name}\n{sql}\n" + "\n".join(r[0] for r in plan), flush=True)
        count = await conn.fetchval("SELECT count(*) FROM tasks.tasks")
    await pool.close()
    print(f"\ntasks in the database: {count}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
