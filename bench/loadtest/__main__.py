"""`make loadtest`: the whole system behind the gateway under a team's mix, beside its floors.

    make loadtest                                   # defaults below
    make loadtest LOADTEST_ARGS="--levels 16 --seconds 10 --tasks 500"   # a quick one
    uv run --group bench python bench/loadtest --reuse   # against a `make dev` already running

Steps: bring the system up as `make dev` does (unless --reuse), make a team (people, projects,
a backlog of tasks) through the API, then for each concurrency level run the 80/15/5 mix for
`--seconds`, and at 16 connections the task list, task detail and create alone; after each run
read the CPU every part spent and the event lag of the consumers. Then the floors at the same
concurrency: the bare Starlette + asyncpg app behind nginx, and pgbench. Writes a markdown
report and a PNG of latency over time to `--out` and prints the report.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floors
import lag
import mix
import rare
import report
import system
import world

ROOT = system.ROOT


def _dsn() -> str:
    name = os.environ.get("TASKFLOW_DB_NAME", "taskflow")
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _tasks_dsn() -> str:
    name = os.environ.get("TASKFLOW_DB_NAME", "taskflow")
    return f"postgresql://taskflow_tasks@127.0.0.1:5432/{name}"


def _configured_api_workers() -> int:
    """API_WORKERS as `dev.sh` reads it: the environment, else `.env`, else 1."""
    if value := os.environ.get("API_WORKERS"):
        return int(value)
    env = ROOT / ".env"
    for line in env.read_text().splitlines() if env.exists() else []:
        if line.strip().startswith("API_WORKERS="):
            return int(line.split("=", 1)[1].strip())
    return 1


async def run_level(
    args: argparse.Namespace, team: world.World, label: str, concurrency: int, kind: str
) -> dict[str, Any]:
    api = world.seed.Api(args.gateway)
    try:
        await world.login_all(api, team.people)
    finally:
        await api.aclose()
    cpu_before = system.cpu_by_part()
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    samples = await mix.drive(args.gateway, team, concurrency, args.seconds, mix.ONLY[kind])
    wall = time.perf_counter() - t0
    ended = dt.datetime.now(dt.UTC)
    drained = await lag.wait_drained(_dsn(), ended)
    cpu = system.cpu_delta(cpu_before, system.cpu_by_part())
    lags = await lag.event_lag(_dsn(), started, ended)
    stats = report.summarise(samples, wall)
    print(f"\n## {label}\n")
    print(report.table(stats, report.LATENCY))
    return {"label": label, "samples": samples, "stats": stats, "cpu": cpu, "lag": lags,
            "drained": drained, "requests": len(samples)}  # fmt: skip


def cpu_table(runs: list[dict[str, Any]]) -> str:
    """CPU ms per request of each part, per run (what each request cost everywhere)."""
    parts = sorted({p for r in runs for p in r["cpu"]})
    rows = {
        p: {r["label"]: 1000 * r["cpu"].get(p, 0.0) / max(1, r["requests"]) for r in runs}
        for p in parts
    }
    cols = [(r["label"], r["label"], ".2f") for r in runs]
    return report.table(rows, cols)


def lag_table(runs: list[dict[str, Any]]) -> str:
    rows = {}
    for r in runs:
        for consumer, v in r["lag"].items():
            if v["n"]:
                rows[f"{r['label']}: {consumer}"] = {**v, "drained": r["drained"]}
    cols = [
        ("n", "events", ".0f"),
        ("p50", "p50 s", ".3f"),
        ("p95", "p95 s", ".3f"),
        ("p99", "p99 s", ".3f"),
        ("max", "max s", ".3f"),
        ("drained", "outbox drained after s", ".1f"),
    ]
    return report.table(rows, cols)


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gateway", default="http://127.0.0.1:8080")
    ap.add_argument("--reuse", action="store_true", help="use a running `make dev`")
    ap.add_argument("--api-workers", type=int, default=None, help="uvicorn processes per api")
    ap.add_argument("--levels", default="16,32", help="concurrency levels of the mixed load")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--people", type=int, default=8)
    ap.add_argument("--projects", type=int, default=6)
    ap.add_argument("--tasks", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--no-floor", action="store_true")
    args = ap.parse_args(argv)

    # The floor runs as many processes as each api: the same count `dev.sh` gives the apis.
    args.api_workers = args.api_workers or _configured_api_workers()
    dev = system.DevSystem(args.gateway)
    if not args.reuse:
        if system.gateway_up(args.gateway):
            raise SystemExit("a gateway already answers: stop `make dev` or pass --reuse")
        print("starting the system (infra/local/dev.sh) ...")
        dev.start(args.api_workers)
    try:
        load = os.getloadavg()[0]
        print(f"load average before the run: {load:.2f}")
        print(
            f"making the team: {args.people} people, {args.projects} projects, {args.tasks} tasks"
        )
        t0 = time.perf_counter()
        team = await world.build(args.gateway, ROOT / ".dev" / "mail", args.people,
                                 args.projects, args.tasks)  # fmt: skip
        print(f"  done in {time.perf_counter() - t0:.0f}s")
        # Pools, caches and query plans warm up first; this run is not reported.
        await run_level(args, team, "warm-up mix c8", 8, "mix")
        await rare.plant(args.gateway, team)
        runs = []
        for level in [int(x) for x in args.levels.split(",")]:
            runs.append(await run_level(args, team, f"mix c{level}", level, "mix"))
        searches: dict[str, dict[str, float]] = {}
        for kind in ("list", "detail", "create", "search"):
            if kind == "create":
                searches["before the create run"] = await rare.probe(args.gateway, team)
            runs.append(await run_level(args, team, f"{kind} c16", 16, kind))
            if kind == "create":
                created = runs[-1]["requests"]
                searches[f"after it ({created} tasks created)"] = await rare.probe(
                    args.gateway, team
                )
        floor_lines = []
        if not args.no_floor:
            try:
                floor_lines = await run_floors(args, team, runs)
            except Exception as exc:  # the gateway's runs are still worth their report
                print(f"the floors failed: {exc!r}", file=sys.stderr)
                floor_lines = [f"| the floors failed: {exc!r} | | | | | |"]
        write_report(args, runs, floor_lines, load, searches)
    finally:
        if not args.reuse:
            dev.stop()
    return 0


async def run_floors(
    args: argparse.Namespace, team: world.World, runs: list[dict[str, Any]]
) -> list[str]:
    statements = {
        f"{p.user_id}|{pid}": floors.list_sql(p.user_id, pid)
        for p in team.people
        for pid in p.projects
    }
    floor = floors.start_floor(_tasks_dsn(), statements, args.api_workers)
    lines = []
    try:
        # Same drive loop, same people, the floor's routes (X-User-Id instead of a token).
        for kind, op in (("list", floor_list), ("detail", floor_detail)):
            samples = await mix.drive(floor.url, team, 16, args.seconds, ((kind, 100, op),))
            stats = report.summarise(samples, args.seconds)[kind]
            ours = next(r for r in runs if r["label"] == f"{kind} c16")["stats"][
                "task list" if kind == "list" else "task detail"
            ]
            lines.append(
                f"| {kind} c16 | {ours['rps']:.0f} | {stats['rps']:.0f} | "
                f"{ours['rps'] / stats['rps']:.2f} | {ours['p99']:.1f} | {stats['p99']:.1f} |"
            )
    finally:
        floor.stop()
    person = team.people[0]
    pid = person.projects[0]
    pg = floors.pgbench(_tasks_dsn(), floors.list_sql(person.user_id, pid), 16, int(args.seconds))
    detail_sql = floors.detail_sql(team.tasks[pid][0], person.user_id)
    pg_detail = floors.pgbench(_tasks_dsn(), detail_sql, 16, int(args.seconds))
    for name, pg_run in (("list", pg), ("detail", pg_detail)):
        tps, mean = pg_run["tps"], pg_run["latency_ms"]
        lines.append(f"| pgbench {name} c16 | | {tps:.0f} | | | {mean:.1f} (mean) |")
    return lines


async def floor_list(s: Any, w: world.World, p: world.Person, rng: Any) -> int:
    project = rng.choice(p.projects)
    async with s.get(f"/floor/projects/{project}/tasks", headers={"x-user-id": p.user_id}) as r:
        await r.read()
        return int(r.status)


async def floor_detail(s: Any, w: world.World, p: world.Person, rng: Any) -> int:
    _, task = w.task_of(rng, p)
    async with s.get(f"/floor/tasks/{task}", headers={"x-user-id": p.user_id}) as r:
        await r.read()
        return int(r.status)


def write_report(
    args: argparse.Namespace,
    runs: list[dict[str, Any]],
    floor_lines: list[str],
    load: float,
    searches: dict[str, dict[str, float]],
) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / f"loadtest-{stamp}.png"
    parts = [
        f"# Load run {stamp}",
        f"\n{os.cpu_count()} cores, load average before: {load:.2f}; "
        f"{args.seconds:.0f} s per run; api processes: "
        f"{args.api_workers or os.environ.get('API_WORKERS') or 'API_WORKERS of .env'}\n",
    ]
    for r in runs:
        parts += [f"\n## {r['label']}\n", report.table(r["stats"], report.LATENCY)]
    parts += ["\n## CPU ms per request, by part\n", cpu_table(runs)]
    parts += ["\n## Event lag (write to consumer's row)\n", lag_table(runs)]
    if floor_lines:
        parts += [
            "\n## Against the floors (same concurrency, same run)\n",
            "| | gateway req/s | floor req/s | ratio | gateway p99 ms | floor p99 ms |",
            "|---|---|---|---|---|---|",
            *floor_lines,
        ]
    parts += [
        "\n## A rare-term search, alone, around the create burst (`rare.py`)\n",
        report.table(searches, [("p50", "p50 ms", ".1f"), ("max", "max ms", ".1f")]),
    ]
    parts.append(f"\n![latency over time]({png.name})\n")
    text = "\n".join(parts)
    md = args.out / f"loadtest-{stamp}.md"
    md.write_text(text)
    print(text)
    # Last: the tables are written even if plotting fails.
    report.plot({r["label"]: r["samples"] for r in runs}, png)
    print(f"\nwritten: {md} and {png}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
