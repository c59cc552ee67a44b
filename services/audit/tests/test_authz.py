"""Audit data is for auditors and admins: everyone else gets 403 on every endpoint."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

PROJECT = uuid.uuid4()


def _operations(app: Any) -> list[tuple[str, str]]:
    ops = []
    for path, item in app.openapi()["paths"].items():
        for method in item:
            concrete = path.replace("{event_id}", str(uuid.uuid4())).replace(
                "{project_id}", str(PROJECT)
            )
            ops.append((method.upper(), concrete))
    return ops


async def test_every_endpoint_is_covered(app: Any) -> None:
    """The table below is the whole api (a new route must be added to the 403 test)."""
    assert len(_operations(app)) >= 10


@pytest.mark.parametrize("who", ["plain_user", "no_role", "anonymous"])
async def test_others_are_refused_everywhere(
    app: Any, client: Any, who: str, plain_user: dict[str, str], mint_token: Any
) -> None:
    headers = {
        "plain_user": plain_user,
        "no_role": {"Authorization": f"Bearer {mint_token(uuid.uuid4(), roles=())}"},
        "anonymous": {},
    }[who]
    expected = 401 if who == "anonymous" else 403
    for method, path in _operations(app):
        body = {"days": 30} if path.endswith("/retention") else None
        r = await client.request(method, path, headers=headers, json=body)
        assert r.status_code == expected, (method, path, r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"


async def test_admin_only_parking(app: Any, client: Any, auditor: dict[str, str]) -> None:
    """Auditors read the log but cannot touch the parking queue."""
    parking = [(m, p) for m, p in _operations(app) if "/parked" in p]
    for method, path in parking:
        r = await client.request(method, path, headers=auditor)
        assert r.status_code == 403, (method, path)
