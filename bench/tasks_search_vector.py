"""Search before and after migration 0005_search_more (label names and comments in the vector).

Run by hand (not part of `make test`), about five minutes at a million tasks:

    uv run python bench/tasks_search_vector.py [--tasks 200000] [--runs 40]

A scratch database (dropped at the end) is migrated to 0004_webhooks and seeded with plain
SQL: 100 projects, `--tasks` tasks (titles of 5 and descriptions of 12 words: 4,000 rare
pseudo-words, one word in 20 one of 20 frequent ones), one task in five with two comments of
15 words, half the tasks with one of the project's five labels. It times, straight through
asyncpg (no app), the search SQL the service runs (the words ANDed with ten project lexemes,
ranked, limit 51) for a frequent word, a label name and an unknown word, and 200 comment
inserts; runs `alembic upgrade head` (timed: the back-fill); and times the same again.
Figures are per statement, p50 / p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import asyncpg

from taskflow.testing.postgres import FreshDatabase, run_alembic_upgrade, to_asyncpg_dsn

INI = Path(__file__).resolve().parents[1] / "services/tasks/alembic.ini"

SEED = """
CREATE OR REPLACE FUNCTION pg_temp.sentence(n int, seed int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(
    CASE WHEN (seed * 31 + k * 17) % 20 = 0
      THEN (ARRAY['deploy','invoice','firewall','report','review','customer','audit',
        'payment','database','release','incident','migration','backup','contract',
        'onboarding','security','budget','meeting','vendor','compliance'])[1 + (seed + k) % 20]
      ELSE 'w' || ((seed::bigint * 7919 + k * 104729) % 4000)::text END, ' ')
  FROM generate_series(1, n) k
$$;
INSERT INTO tasks.projects (id, key, name, created_by, task_counter)
  SELECT md5('p' || p)::uuid, 'P' || p, 'Project ' || p, md5('owner')::uuid, 0
  FROM generate_series(1, 100) p;
INSERT INTO tasks.project_statuses (id, project_id, name, category, colour, position)
  SELECT md5('s' || p)::uuid, md5('p' || p)::uuid, 'todo', 'todo', '#888888', 0
  FROM generate_series(1, 100) p;
INSERT INTO tasks.labels (id, project_id, name, colour)
  SELECT md5('l' || p || '-' || l)::uuid, md5('p' || p)::uuid,
         (ARRAY['urgent','frontend','backend','legal','walrus'])[l], '#123456'
  FROM generate_series(1, 100) p, generate_series(1, 5) l;
INSERT INTO tasks.tasks (id, project_id, number, title, description, status, status_id,
                         status_category, created_by, label_ids)
  SELECT md5('t' || i)::uuid, md5('p' || (1 + i % 100))::uuid, i, pg_temp.sentence(5, i),
         pg_temp.sentence(12, i + 17), 'todo', md5('s' || (1 + i % 100))::uuid, 'todo',
         md5('owner')::uuid,
         CASE WHEN i % 2 = 0 THEN ARRAY[md5('l' || (1 + i % 100) || '-' || (1 + i % 5))::uuid]
              ELSE '{}'::uuid[] END
  FROM generate_series(1, $TASKS) i;
INSERT INTO tasks.comments (id, task_id, project_id, author_id, body)
  SELECT gen_random_uuid(), md5('t' || i)::uuid, md5('p' || (1 + i % 100))::uuid,
         md5('owner')::uuid, pg_temp.sentence(15, i * 3 + c)
  FROM generate_series(5, $TASKS, 5) i, generate_series(1, 2) c;
"""

SEARCH = """
SELECT id, ts_rank(search, q) AS rank FROM tasks.tasks,
  websearch_to_tsquery('english', $1) q
WHERE deleted_at IS NULL AND project_id = ANY($2::uuid[])
  AND search @@ (q && to_tsquery('simple', $3))
ORDER BY rank DESC, id DESC LIMIT 51
"""


async def timed(conn: asyncpg.Connection, runs: int, sql: str, *args: object) -> str:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        await conn.fetch(sql, *args)
        samples.append((time.perf_counter() - t) * 1000)
    s = sorted(samples)
    return f"{statistics.median(s):.1f} / {s[int(0.95 * (len(s) - 1))]:.1f} ms"


async def measure(dsn: str, runs: int, tag: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE tasks.tasks")
        pids = [r["id"] for r in await conn.fetch("SELECT id FROM tasks.projects LIMIT 10")]
        lexemes = " | ".join("prj" + p.hex for p in pids)
        for word in ("firewall", "walrus", "zzzzunknown"):
            print(f"{tag} search {word!r}: {await timed(conn, runs, SEARCH, word, pids, lexemes)}")
        task = await conn.fetchval("SELECT id FROM tasks.tasks WHERE number = 10")
        ins = (
            "INSERT INTO tasks.comments (id, task_id, project_id, author_id, body)"
            " SELECT gen_random_uuid(), id, project_id, created_by, 'another firewall note'"
            " FROM tasks.tasks WHERE id = $1"
        )
        print(f"{tag} comment insert: {await timed(conn, 200, ins, task)}")
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('tasks.tasks'))")
        print(f"{tag} tasks table with indexes: {size}")
    finally:
        await conn.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    db = await asyncio.to_thread(FreshDatabase.create)
    try:
        url = db.url_for("taskflow_tasks")
        await asyncio.to_thread(run_alembic_upgrade, INI, url, "0004_webhooks")
        conn = await asyncpg.connect(db.admin_dsn)
        t = time.perf_counter()
        await conn.execute(SEED.replace("$TASKS", str(args.tasks)))
        print(f"seeded {args.tasks} tasks in {time.perf_counter() - t:.0f} s")
        await conn.close()
        await measure(to_asyncpg_dsn(url), args.runs, "before")
        t = time.perf_counter()
        await asyncio.to_thread(run_alembic_upgrade, INI, url, "head")
        print(f"migration 0005 (back-fill, rewrite, GIN rebuild): {time.perf_counter() - t:.1f} s")
        await measure(to_asyncpg_dsn(url), args.runs, "after")
    finally:
        await asyncio.to_thread(db.drop)


if __name__ == "__main__":
    asyncio.run(main())
