"""Rare-term search before and after a burst of writes (issue 14: writes must not slow search).

A GIN index with a pending list (`fastupdate`) leaves a burst's new entries unsorted until a
vacuum merges them, and every search scans that list: a rare term, which the index answers in
a few pages, then costs a scan of everything the burst inserted. The tasks indexes update in
place (`fastupdate = off`, migration 0008); this probe shows it holds through the gateway.

One task carries a word no other task has; `probe` times sequential searches for it.
"""

from __future__ import annotations

import statistics
import time

import aiohttp
from world import Person, World

RARE = "quokkazephyr"


async def plant(gateway: str, team: World) -> None:
    """Create the one task that carries the rare word (in the first person's first project)."""
    p = team.people[0]
    body = {"title": f"Audit the {RARE} ledger", "priority": "low"}
    async with aiohttp.ClientSession(gateway) as s:
        url = f"/api/v1/projects/{p.projects[0]}/tasks"
        async with s.post(url, json=body, headers=_auth(p)) as r:
            if r.status != 201:
                raise SystemExit(f"could not plant the rare task: {r.status} {await r.text()}")


async def probe(gateway: str, team: World, n: int = 40) -> dict[str, float]:
    """p50 and max ms of `n` sequential searches for the rare word (each must find it)."""
    p = team.people[0]
    times: list[float] = []
    async with aiohttp.ClientSession(gateway) as s:
        for _ in range(n):
            t0 = time.perf_counter()
            async with s.get(f"/api/v1/tasks?q={RARE}&limit=50", headers=_auth(p)) as r:
                data = await r.json(content_type=None)
            times.append((time.perf_counter() - t0) * 1000)
            if r.status != 200 or len(data["items"]) != 1:
                raise SystemExit(f"the rare-term search did not find its task: {r.status}")
    return {"p50": statistics.median(times), "max": max(times)}


def _auth(p: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {p.token}"}
