"""Security events (who, what, when in UTC, from where) and control characters in log values."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from common_testkit import AppFactory, Keys, client_for
from fastapi import APIRouter, Depends

from taskflow.common.errors import Forbidden
from taskflow.common.logging import configure_logging, get_logger
from taskflow.common.security import Principal, require_roles

router = APIRouter()


@router.get("/admin/things/{thing_id}")
async def admin_thing(
    thing_id: str, who: Principal = Depends(require_roles("admin"))
) -> dict[str, str]:
    """Admins only."""
    return {"id": thing_id}


@router.get("/locked")
async def locked() -> dict[str, str]:
    """Always refused, by a ProblemError raised in the route itself."""
    raise Forbidden("Nobody may.", code="locked")


def _events(text: str) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, text.splitlines()) if e["event"] == "security_event"]


async def test_every_403_is_a_security_event(make_app: AppFactory, keys: Keys) -> None:
    stream = io.StringIO()
    app = make_app(router)
    configure_logging("INFO", json=True, stream=stream)
    user = uuid.uuid4()
    evil_agent = 'curl\r\n{"event": "security_event", "action": "sign_in"}'
    async with client_for(app) as c:
        r = await c.get(
            "/admin/things/s3cr3t",
            headers={
                "Authorization": f"Bearer {keys.mint(sub=str(user))}",
                "User-Agent": evil_agent,
            },
        )
        assert r.status_code == 403
        assert (await c.get("/locked")).status_code == 403
    text = stream.getvalue()
    assert all(line.startswith("{") for line in text.splitlines())
    denied = _events(text)
    assert len(denied) == 2, text
    first, second = denied
    assert first["action"] == "access_denied"
    assert first["outcome"] == "denied"
    assert first["user_id"] == str(user)
    assert first["client_ip"] == "127.0.0.1"
    assert first["method"] == "GET"
    assert first["route"] == "/admin/things/{thing_id}"
    assert first["reason"] == "forbidden"
    assert first["request_id"] == r.headers["x-request-id"]
    at = datetime.fromisoformat(first["at"])
    assert at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - at) < timedelta(seconds=30)
    # The forged line stays inside the value, as visible escapes.
    assert first["user_agent"] == 'curl\\r\\n{"event": "security_event", "action": "sign_in"}'
    assert "s3cr3t" not in text
    assert (second["user_id"], second["reason"], second["route"]) == (None, "locked", "/locked")


def test_control_characters_are_escaped_in_every_renderer() -> None:
    value = "ann\r\n2026-01-01 [info] admin granted\x1b[2J\x00\u2028end"
    for as_json in (True, False):
        stream = io.StringIO()
        configure_logging("INFO", json=as_json, stream=stream)
        get_logger("t").info("profile_changed", display_name=value, nested={"k\n": [value]})
        out = stream.getvalue()
        assert out.count("\n") == 1, out  # one event, one line
        for raw in ("\r", "\x1b", "\x00", "\u2028"):
            assert raw not in out
        if as_json:
            line = json.loads(out)
            escaped = "ann\\r\\n2026-01-01 [info] admin granted\\x1b[2J\\x00\\u2028end"
            assert line["display_name"] == escaped
            assert line["nested"] == {"k\\n": [escaped]}
    configure_logging("INFO", json=True)
