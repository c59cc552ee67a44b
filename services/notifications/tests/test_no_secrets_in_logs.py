"""No log line carries a bearer token or a calendar feed secret (the secret is in the feed's URL
path, which the shared access log records)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from notifications_testkit import uid


async def test_feed_secret_and_token_never_reach_the_logs(
    client: Any, auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = auth(uid())
    token = headers["Authorization"].removeprefix("Bearer ")
    url = (await client.post("/api/v1/calendar/feed", headers=headers)).json()["url"]
    path = url.removeprefix("http://gw.test")
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert (await client.get(path)).status_code == 200
    # A wrong secret (404) is logged too and must not show what was tried either.
    wrong = "y" * 43
    assert (await client.get(f"/api/v1/calendar/feeds/{wrong}.ics")).status_code == 404
    await client.get("/api/v1/notifications", headers=headers)

    lines = [str(r.msg) + r.getMessage() for r in caplog.records]
    assert any("/api/v1/calendar/feeds/" in line for line in lines), "access log not captured"
    for line in lines:
        assert secret not in line
        assert wrong not in line
        assert token not in line
