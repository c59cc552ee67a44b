"""Helpers of the tasks tests (conftest puts this folder on the path)."""

from __future__ import annotations

from typing import Any


async def statuses_by_name(client: Any, p: Any, who: Any) -> dict[str, dict[str, Any]]:
    """The project's statuses by name, as its workflow route lists them."""
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=who.h)
    assert r.status_code == 200, r.text
    return {s["name"]: s for s in r.json()["items"]}


async def invite(client: Any, project: Any, who: Any, email: str, role: str = "member") -> Any:
    """Add `email` to a project through `POST .../members`: an invitation when it has no account."""
    return await client.post(
        f"/api/v1/projects/{project.id}/members", json={"email": email, "role": role}, headers=who.h
    )
