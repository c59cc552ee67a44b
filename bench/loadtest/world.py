"""The team the load plays: people, their projects and a backlog of tasks, made through the API.

Everything goes through the gateway as a client would (registration, the verification mail
from the dev mail sink, login), using the demo seed's small client (infra/local/seed.py), so a
run also proves the path a new user takes. The backlog is created concurrently; its size is
the `--tasks` option (the issue's "~3,000 tasks").
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORDS = [
    "deploy",
    "invoice",
    "firewall",
    "report",
    "review",
    "customer",
    "audit",
    "payment",
    "ledger",
    "vendor",
    "settlement",
    "reconcile",
    "swift",
    "limit",
    "breach",
    "control",
    "approval",
    "cutoff",
    "batch",
]
PASSWORD = "load-test-password-2026"


def _seed_module() -> Any:
    spec = importlib.util.spec_from_file_location("taskflow_seed", ROOT / "infra/local/seed.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["taskflow_seed"] = module
    spec.loader.exec_module(module)
    return module


seed = _seed_module()


@dataclass
class Person:
    email: str
    token: str = ""
    user_id: str = ""
    projects: list[str] = field(default_factory=list)


@dataclass
class World:
    people: list[Person]
    projects: dict[str, list[str]]  # project id -> member user ids
    tasks: dict[str, list[str]]  # project id -> task ids (grows with the load's creates)
    run_id: str

    def task_of(self, rng: random.Random, person: Person) -> tuple[str, str]:
        project = rng.choice(person.projects)
        return project, rng.choice(self.tasks[project])


def title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(4))


async def login_all(api: Any, people: list[Person]) -> None:
    """Fresh access tokens (they live 15 minutes: each load level logs in again)."""
    for p in people:
        token = await seed.login(api, p.email, PASSWORD)
        if token is None:
            raise SystemExit(f"loadtest: cannot log in as {p.email}")
        p.token = token


async def build(
    gateway: str, mail_dir: Path, n_people: int, n_projects: int, n_tasks: int
) -> World:
    run_id = uuid.uuid4().hex[:6]
    api = seed.Api(gateway)
    try:
        people = []
        for i in range(n_people):
            demo = seed.DemoUser(f"load{i}", f"load-{run_id}-{i}@taskflow.example", f"Load {i}")
            await seed.ensure_user(api, demo, PASSWORD, mail_dir)
            people.append(Person(demo.email, demo.token or "", demo.user_id or ""))
        projects: dict[str, list[str]] = {}
        for j in range(n_projects):
            owner = people[j % n_people]
            r = await api.request(
                "POST",
                "/api/v1/projects",
                token=owner.token,
                json={"key": f"L{run_id[:3].upper()}{j}", "name": f"Load {run_id} {j}"},
            )
            if r.status_code != 201:
                seed.fail("create project", r)
            pid = r.json()["id"]
            projects[pid] = [owner.user_id]
            owner.projects.append(pid)
            for other in people:  # every project has the whole team
                if other is owner:
                    continue
                r = await api.request(
                    "POST",
                    f"/api/v1/projects/{pid}/members",
                    token=owner.token,
                    json={"user_id": other.user_id, "role": "member"},
                )
                if r.status_code not in (200, 201):
                    seed.fail("add member", r)
                projects[pid].append(other.user_id)
                other.projects.append(pid)
        world = World(people, projects, {pid: [] for pid in projects}, run_id)
        await _backlog(api, world, n_tasks)
        return world
    finally:
        await api.aclose()


async def _backlog(api: Any, world: World, n_tasks: int) -> None:
    rng = random.Random(7)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n_tasks):
        queue.put_nowait(i)

    async def one_worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            person = rng.choice(world.people)
            pid = rng.choice(person.projects)
            assignee = rng.choice(world.projects[pid])
            r = await api.request(
                "POST",
                f"/api/v1/projects/{pid}/tasks",
                token=person.token,
                json={
                    "title": title(rng),
                    "description": " ".join(rng.choice(WORDS) for _ in range(20)),
                    "priority": rng.choice(["low", "medium", "high"]),
                    "assignee_ids": [assignee],
                },
            )
            if r.status_code != 201:
                seed.fail("create task", r)
            world.tasks[pid].append(r.json()["id"])

    await asyncio.gather(*(one_worker() for _ in range(16)))
