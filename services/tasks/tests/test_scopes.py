"""Scopes in the tasks service: every route declared, the matrix, and the attacker's cases."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from taskflow.testing.scopes import ALL_ROLES, PROBES, PUBLIC, check_scope_matrix

R, W = {"tasks:read"}, {"tasks:write"}

#: Who may call what, by scope. A new route fails the matrix until it is declared and listed.
POLICY: dict[tuple[str, str], Any] = {
    **PROBES,
    ("POST", "/api/v1/projects"): W,
    ("GET", "/api/v1/projects"): R,
    ("GET", "/api/v1/projects/{project_id}"): R,
    ("PATCH", "/api/v1/projects/{project_id}"): W,
    ("DELETE", "/api/v1/projects/{project_id}"): W,
    ("POST", "/api/v1/projects/{project_id}/archive"): W,
    ("POST", "/api/v1/projects/{project_id}/unarchive"): W,
    ("POST", "/api/v1/projects/{project_id}/restore"): W,
    ("GET", "/api/v1/projects/{project_id}/members"): R,
    ("POST", "/api/v1/projects/{project_id}/members"): {"account:read", "tasks:write"},
    ("PATCH", "/api/v1/projects/{project_id}/members/{user_id}"): W,
    ("DELETE", "/api/v1/projects/{project_id}/members/{user_id}"): W,
    ("GET", "/api/v1/projects/{project_id}/invitations"): R,
    ("DELETE", "/api/v1/projects/{project_id}/invitations/{invitation_id}"): W,
    ("POST", "/api/v1/projects/invitations/lookup"): PUBLIC,
    ("GET", "/api/v1/projects/{project_id}/labels"): R,
    ("POST", "/api/v1/projects/{project_id}/labels"): W,
    ("PATCH", "/api/v1/labels/{label_id}"): W,
    ("DELETE", "/api/v1/labels/{label_id}"): W,
    ("GET", "/api/v1/projects/{project_id}/milestones"): R,
    ("POST", "/api/v1/projects/{project_id}/milestones"): W,
    ("GET", "/api/v1/milestones/{milestone_id}"): R,
    ("PATCH", "/api/v1/milestones/{milestone_id}"): W,
    ("DELETE", "/api/v1/milestones/{milestone_id}"): W,
    ("POST", "/api/v1/tasks/bulk"): W,
    ("POST", "/api/v1/projects/{project_id}/tasks"): W,
    ("GET", "/api/v1/projects/{project_id}/tasks"): R,
    ("GET", "/api/v1/tasks"): R,
    ("GET", "/api/v1/projects/{project_id}/trash"): R,
    ("GET", "/api/v1/tasks/{task_id}"): R,
    ("PATCH", "/api/v1/tasks/{task_id}"): W,
    ("DELETE", "/api/v1/tasks/{task_id}"): W,
    ("POST", "/api/v1/tasks/{task_id}/restore"): W,
    ("GET", "/api/v1/tasks/by-key/{key}"): R,
    ("POST", "/api/v1/tasks/{task_id}/move"): W,
    ("POST", "/api/v1/tasks/{task_id}/duplicate"): W,
    ("GET", "/api/v1/tasks/{task_id}/comments"): R,
    ("POST", "/api/v1/tasks/{task_id}/comments"): W,
    ("PATCH", "/api/v1/comments/{comment_id}"): W,
    ("DELETE", "/api/v1/comments/{comment_id}"): W,
    ("GET", "/api/v1/tasks/{task_id}/activity"): R,
    ("GET", "/api/v1/projects/{project_id}/activity"): R,
    ("GET", "/api/v1/views"): R,
    ("POST", "/api/v1/views"): W,
    ("PATCH", "/api/v1/views/{view_id}"): W,
    ("DELETE", "/api/v1/views/{view_id}"): W,
    ("GET", "/api/v1/projects/{project_id}/export"): R,
    ("POST", "/api/v1/projects/{project_id}/import"): W,
    ("GET", "/api/v1/projects/{project_id}/statuses"): R,
    ("POST", "/api/v1/projects/{project_id}/statuses"): W,
    ("PUT", "/api/v1/projects/{project_id}/statuses/order"): W,
    ("PATCH", "/api/v1/projects/{project_id}/statuses/{status_id}"): W,
    ("DELETE", "/api/v1/projects/{project_id}/statuses/{status_id}"): W,
    ("GET", "/api/v1/tasks/{task_id}/dependencies"): R,
    ("POST", "/api/v1/tasks/{task_id}/blocked-by"): W,
    ("DELETE", "/api/v1/tasks/{task_id}/blocked-by/{blocker_id}"): W,
    ("POST", "/api/v1/projects/{project_id}/webhooks"): W,
    ("GET", "/api/v1/projects/{project_id}/webhooks"): R,
    ("GET", "/api/v1/webhooks/{webhook_id}"): R,
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): W,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): W,
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): W,
    ("POST", "/api/v1/webhooks/{webhook_id}/ping"): W,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): R,
    ("GET", "/api/v1/webhooks/{webhook_id}/attempts"): R,
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): W,
    ("POST", "/api/v1/webhooks/{webhook_id}/redeliver-failed"): W,
}
# Every tasks route needs a token but the probes and the invitation link's look-up (the mailed
# one-time token is its credential).
assert [k for k, v in POLICY.items() if v == PUBLIC] == [
    *PROBES,
    ("POST", "/api/v1/projects/invitations/lookup"),
]


async def test_every_route_declares_its_scope_and_the_matrix_holds(
    app: FastAPI, client: httpx.AsyncClient, mint_token: Callable[..., str]
) -> None:
    async def token_for(scopes: frozenset[str]) -> str:
        return mint_token(str(uuid.uuid4()), roles=ALL_ROLES, scopes=sorted(scopes))

    calls = await check_scope_matrix(client, app, POLICY, token_for)
    assert calls >= 11 * (len(POLICY) - len(PROBES))


async def test_a_read_only_token_cannot_delete_a_project(
    client: httpx.AsyncClient,
    make_user: Callable[..., Any],
    make_project: Callable[..., Any],
    mint_token: Callable[..., str],
) -> None:
    """The owner's script token with `tasks:read` reads the project but cannot delete it."""
    owner = await make_user("owner")
    project_id = (await make_project(owner)).id
    script = {
        "Authorization": "Bearer "
        + mint_token(str(owner.id), scopes=["tasks:read"], extra_claims={"sid": None})
    }
    assert (await client.get(f"/api/v1/projects/{project_id}", headers=script)).status_code == 200
    r = await client.delete(f"/api/v1/projects/{project_id}", headers=script)
    assert r.status_code == 403
    assert r.json()["code"] == "insufficient_scope"
    assert r.json()["required_scopes"] == ["tasks:write"]
    r = await client.post(
        f"/api/v1/projects/{project_id}/tasks", json={"title": "sneaky"}, headers=script
    )
    assert r.status_code == 403
    # Nothing changed: the project is there and has no task.
    r = await client.get(f"/api/v1/projects/{project_id}", headers=owner.h)
    assert r.status_code == 200
    assert r.json()["deleted_at"] is None
    r = await client.get(f"/api/v1/projects/{project_id}/tasks", headers=owner.h)
    assert r.json()["items"] == []
    # The same owner with `tasks:write` may.
    writer = {
        "Authorization": "Bearer "
        + mint_token(str(owner.id), scopes=["tasks:write"], extra_claims={"sid": None})
    }
    assert (
        await client.delete(f"/api/v1/projects/{project_id}", headers=writer)
    ).status_code == 204


async def test_a_strangers_token_without_the_scope_learns_nothing(
    client: httpx.AsyncClient,
    make_user: Callable[..., Any],
    make_project: Callable[..., Any],
    mint_token: Callable[..., str],
) -> None:
    """The scope check answers before membership: same 403 for a real and a made-up id."""
    owner = await make_user("keeper")
    real = (await make_project(owner)).id
    stranger = {"Authorization": "Bearer " + mint_token(scopes=["reports:read"])}
    a = await client.get(f"/api/v1/projects/{real}", headers=stranger)
    b = await client.get(f"/api/v1/projects/{uuid.uuid4()}", headers=stranger)
    assert a.status_code == b.status_code == 403
    assert a.json()["detail"] == b.json()["detail"]
