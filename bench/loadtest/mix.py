"""The mix a team produces, driven through the gateway at a fixed concurrency for a fixed time.

80 / 15 / 5: reads (project list, a project's task list, "my tasks", search, task detail,
notifications), writes (create, update, comment, complete) and other (a project's report
summary, the unread count). Each of `concurrency` clients loops: pick an operation by weight,
send it, wait for the answer, record (start time, operation, latency, status). No think time:
the figure is what the system sustains, and latency is what a user would meet at that load.

aiohttp rather than httpx for the client: the driver shares the two cores with the system, and
aiohttp spends about a third of httpx's CPU per request, which the run also measures (the
"load driver" row of the CPU table).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from world import WORDS, Person, World, title

Op = Callable[[aiohttp.ClientSession, World, Person, random.Random], Awaitable[int]]


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the level started
    op: str
    seconds: float
    status: int


def _auth(p: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {p.token}"}


async def _get(s: aiohttp.ClientSession, url: str, p: Person) -> int:
    async with s.get(url, headers=_auth(p)) as r:
        await r.read()
        return r.status


async def projects(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, "/api/v1/projects", p)


async def task_list(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, f"/api/v1/projects/{rng.choice(p.projects)}/tasks?limit=50", p)


async def my_tasks(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, "/api/v1/tasks?assignee=me&limit=50", p)


async def search(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, f"/api/v1/tasks?q={rng.choice(WORDS)}&limit=50", p)


async def detail(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    _, task = w.task_of(rng, p)
    return await _get(s, f"/api/v1/tasks/{task}", p)


async def notifications(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, "/api/v1/notifications?limit=20", p)


async def create(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    project = rng.choice(p.projects)
    body = {
        "title": title(rng),
        "priority": rng.choice(["low", "medium", "high"]),
        "assignee_ids": [rng.choice(w.projects[project])],
    }
    async with s.post(f"/api/v1/projects/{project}/tasks", json=body, headers=_auth(p)) as r:
        data = await r.json(content_type=None)
        if r.status == 201:
            w.tasks[project].append(data["id"])
        return r.status


async def _patch(s: aiohttp.ClientSession, task: str, body: dict[str, Any], p: Person) -> int:
    async with s.patch(f"/api/v1/tasks/{task}", json=body, headers=_auth(p)) as r:
        await r.read()
        return r.status


async def update(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    _, task = w.task_of(rng, p)
    return await _patch(s, task, {"priority": rng.choice(["low", "medium", "high", "urgent"])}, p)


async def complete(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    _, task = w.task_of(rng, p)
    return await _patch(s, task, {"status": "done"}, p)


async def comment(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    _, task = w.task_of(rng, p)
    body = {"body": f"Checked the {rng.choice(WORDS)} with the team."}
    async with s.post(f"/api/v1/tasks/{task}/comments", json=body, headers=_auth(p)) as r:
        await r.read()
        return r.status


async def summary(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, f"/api/v1/reports/projects/{rng.choice(p.projects)}/summary", p)


async def unread(s: aiohttp.ClientSession, w: World, p: Person, rng: random.Random) -> int:
    return await _get(s, "/api/v1/notifications/unread-count", p)


#: (name, weight %, operation): reads 80, writes 15, other 5.
MIX: tuple[tuple[str, float, Op], ...] = (
    ("projects", 10, projects),
    ("task list", 20, task_list),
    ("my tasks", 15, my_tasks),
    ("search", 10, search),
    ("task detail", 15, detail),
    ("notifications", 10, notifications),
    ("create", 5, create),
    ("update", 4, update),
    ("comment", 3, comment),
    ("complete", 3, complete),
    ("report summary", 3, summary),
    ("unread count", 2, unread),
)
ONLY: dict[str, tuple[tuple[str, float, Op], ...]] = {
    "mix": MIX,
    "list": (("task list", 100, task_list),),
    "detail": (("task detail", 100, detail),),
    "create": (("create", 100, create),),
    "search": (("search", 100, search),),
}


async def drive(
    gateway: str,
    world: World,
    concurrency: int,
    seconds: float,
    mix: tuple[tuple[str, float, Op], ...] = MIX,
    seed: int = 1,
) -> list[Sample]:
    """Run `concurrency` closed-loop clients for `seconds`; return every request's sample."""
    names = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    ops = {m[0]: m[2] for m in mix}
    samples: list[Sample] = []
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(gateway, connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        end = start + seconds

        async def client(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            person = world.people[i % len(world.people)]
            while (now := time.perf_counter()) < end:
                name = rng.choices(names, weights)[0]
                try:
                    status = await ops[name](session, world, person, rng)
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                done = time.perf_counter()
                samples.append(Sample(now - start, name, done - now, status))

        await asyncio.gather(*(client(i) for i in range(concurrency)))
    return samples
