"""Schemathesis over the tasks API (see taskflow.testing.fuzz and docs/fuzzing.md).

Each operation starts from empty tables (the autouse clean) and a small real project owned by
the caller: a second member, two tasks (one blocking the other), a label, a milestone, a
comment, a view and a webhook, so that generated cases reach past the 404s to the real work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskflow.tasks.config import Settings
from taskflow.tasks.main import build_app
from taskflow.testing.fuzz import Fuzzer, operations
from taskflow.testing.scopes import ALL_ROLES

OPENAPI = Path(__file__).parents[1] / "openapi.json"


@pytest.fixture(scope="module")
def fuzzer(settings: Settings, key_source: Any) -> Iterator[Fuzzer]:
    """An app of the fuzz run's own (served on schemathesis's loop)."""
    fuzzer = Fuzzer(build_app(settings, key_source=key_source))
    try:
        yield fuzzer
    finally:
        fuzzer.close()


def seed(f: Fuzzer, colleague: uuid.UUID) -> dict[str, list[str]]:
    """A project with one of everything; the ids, by path parameter name."""
    project = f.ok("POST", "/api/v1/projects", json={"key": "FUZZ", "name": "Fuzz"})
    p = f"/api/v1/projects/{project['id']}"
    f.ok("POST", f"{p}/members", json={"user_id": str(colleague), "role": "member"})
    blocker = f.ok("POST", f"{p}/tasks", json={"title": "Blocker"})
    task = f.ok("POST", f"{p}/tasks", json={"title": "Task", "description": "Some *words*"})
    f.ok("POST", f"/api/v1/tasks/{task['id']}/blocked-by", json={"task_id": blocker["id"]})
    label = f.ok("POST", f"{p}/labels", json={"name": "ops", "colour": "#336699"})
    milestone = f.ok("POST", f"{p}/milestones", json={"title": "M1"})
    comment = f.ok("POST", f"/api/v1/tasks/{task['id']}/comments", json={"body": "Hello"})
    view = f.ok("POST", "/api/v1/views", json={"name": "Mine"})
    statuses = f.ok("GET", f"{p}/statuses")
    hook = f.ok(
        "POST",
        f"{p}/webhooks",
        json={"url": "https://hooks.example.com/taskflow", "event_types": ["task.*"]},
    )
    deliveries = f.ok("GET", f"/api/v1/webhooks/{hook['id']}/deliveries")
    return {
        "project_id": [project["id"]],
        "user_id": [str(colleague)],
        "task_id": [task["id"], blocker["id"]],
        "blocker_id": [blocker["id"]],
        "label_id": [label["id"]],
        "milestone_id": [milestone["id"]],
        "comment_id": [comment["id"]],
        "view_id": [view["id"]],
        "status_id": [s["id"] for s in statuses["items"]],
        "webhook_id": [hook["id"]],
        "delivery_id": [d["id"] for d in deliveries["items"]],
    }


@pytest.mark.parametrize("operation", operations(OPENAPI))
async def test_fuzz(
    operation: str, fuzzer: Fuzzer, make_user: Callable[..., Any], auth_double: Any
) -> None:
    owner = await make_user("owner", roles=ALL_ROLES)
    colleague = await make_user("colleague")
    auth_double.add(colleague.id, colleague.email, "Colleague")
    fuzzer.token = owner.token
    fuzzer.run(operation, path_values=seed(fuzzer, colleague.id))
