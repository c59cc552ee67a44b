"""Successful sign-ins are security events: who, when (UTC), from where, how (MFA or not)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

from auth_testkit import PASSWORD, Api

from taskflow.auth.config import Settings
from taskflow.common.logging import configure_logging


async def test_a_successful_sign_in_is_a_security_event(api: Api) -> None:
    user = await api.register()
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        failed = await api.login(user["email"], "Wrong-Password-000")
        assert failed.status_code == 401
        r = await api.client.post(
            "/api/v1/auth/login",
            json={"email": user["email"], "password": PASSWORD},
            headers={"User-Agent": "Firefox\r\nforged line"},
        )
    finally:
        configure_logging("INFO", json=True)
    assert r.status_code == 200, r.text
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    events: list[dict[str, Any]] = [x for x in lines if x["event"] == "security_event"]
    sign_ins = [e for e in events if e["action"] == "sign_in" and e["outcome"] == "success"]
    assert len(sign_ins) == 1, events  # the wrong password is not a success
    event = sign_ins[0]
    assert event["user_id"] == user["id"]
    assert event["session_id"] == r.json()["session_id"]
    assert event["mfa"] is False
    assert event["client_ip"]
    assert event["user_agent"] == "Firefox\\r\\nforged line"
    assert event["at"].endswith("Z")
    assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(0)
    assert r.json()["access_token"] not in stream.getvalue()


async def test_a_failed_sign_in_is_a_security_event(api: Api) -> None:
    """A wrong password (and an unknown address) is logged as a failed `sign_in` (16.3.1),
    naming the account by id only: neither the password nor an unknown address is written."""
    user = await api.register()
    stranger = "nobody-here@example.com"
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        wrong = await api.client.post(
            "/api/v1/auth/login",
            json={"email": user["email"], "password": "Wrong-Password-123"},
            headers={"User-Agent": "curl\nforged"},
        )
        unknown = await api.login(stranger, "Wrong-Password-456")
    finally:
        configure_logging("INFO", json=True)
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    text = stream.getvalue()
    events = [x for x in map(json.loads, text.splitlines()) if x["event"] == "security_event"]
    failures = [e for e in events if e["action"] == "sign_in" and e["outcome"] == "failure"]
    assert [(e["user_id"], e["reason"]) for e in failures] == [
        (user["id"], "bad_password"),
        (None, "unknown_email"),
    ], events
    assert failures[0]["user_agent"] == "curl\\nforged"
    assert failures[0]["client_ip"]
    assert failures[0]["at"].endswith("Z")
    for secret in ("Wrong-Password-123", "Wrong-Password-456", stranger):
        assert secret not in text


async def test_a_throttled_sign_in_is_a_security_event(api: Api) -> None:
    """Guesses past the allowance (429) are logged too: the run stays visible after the
    throttle starts refusing, which is when an alert should fire."""
    user = await api.register()
    allowance = Settings().throttle_account_free
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        statuses = [
            (await api.login(user["email"], f"Wrong-Password-{i:03d}")).status_code
            for i in range(allowance + 2)
        ]
    finally:
        configure_logging("INFO", json=True)
    assert statuses.count(429) >= 1, statuses
    events = [
        x
        for x in map(json.loads, stream.getvalue().splitlines())
        if x["event"] == "security_event" and x["action"] == "sign_in"
    ]
    throttled = [e for e in events if e["outcome"] == "throttled"]
    assert len(throttled) == statuses.count(429), events
    assert {(e["reason"], e["step"], e["user_id"]) for e in throttled} == {
        ("login_throttled", "login", None)
    }
    assert all(e["client_ip"] and e["at"].endswith("Z") for e in throttled)
    assert user["email"] not in stream.getvalue()
