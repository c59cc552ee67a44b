"""No log line carries a password, a password hash, a token or a TOTP secret."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from auth_testkit import PASSWORD, Api, bearer
from sqlalchemy import text

from taskflow.auth.mfa import totp

NEW_PASSWORD = "Brand-New-Passphrase-88"


async def test_flows_leave_no_secret_in_logs(
    api: Api, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, "Wrong-Password-000"]
    user = await api.register()
    await api.login(user["email"], "Wrong-Password-000")
    r = await api.login(user["email"])
    pair: dict[str, Any] = r.json()
    secrets += [pair["access_token"], pair["refresh_token"]]
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    pair = r.json()
    secrets += [pair["access_token"], pair["refresh_token"]]
    # Reuse (logs a warning) and a bad token.
    await api.client.post("/api/v1/auth/refresh", json={"refresh_token": secrets[4]})
    await api.client.get("/api/v1/users/me", headers={"Authorization": "Bearer not.a.jwt"})
    pair = (await api.login(user["email"])).json()
    setup = (await api.client.post("/api/v1/auth/mfa/totp/setup", headers=bearer(pair))).json()
    secrets.append(setup["secret"])
    code = totp.code_at_step(setup["secret"], totp.current_step() - 1)
    codes = (
        await api.client.post(
            "/api/v1/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(pair)
        )
    ).json()["recovery_codes"]
    secrets += codes
    challenge = (await api.login(user["email"])).json()["mfa_token"]
    secrets.append(challenge)
    await api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": "123456"})
    r = await api.client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": codes[0]}
    )
    pair = r.json()
    secrets += [pair["access_token"], pair["refresh_token"]]
    await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(pair),
    )
    await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    # A second registration of the address (no enumeration: it mails the owner instead).
    await api.client.post(
        "/api/v1/auth/register",
        json={"email": user["email"], "password": "Intruder-Password-55", "display_name": "M"},
    )
    secrets.append("Intruder-Password-55")
    r = await api.client.post(
        "/api/v1/auth/tokens", json={"name": "ci", "scopes": ["tasks:read"]}, headers=bearer(pair)
    )
    secrets.append(r.json()["token"])
    async with api.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT password_hash FROM auth.users WHERE id = :id"), {"id": user["id"]}
            )
        ).one()
    secrets.append(row[0])
    for event in ("user.verification_requested", "user.password_reset_requested"):
        for data in await api.events(event):
            url = data.get("verify_url") or data.get("reset_url")
            secrets.append(url.split("token=")[1])

    logged = caplog.text + "\n".join(repr(r.__dict__) for r in caplog.records)
    logged += capsys.readouterr().out
    assert "login_failed" in logged  # the capture works
    assert "refresh_token_reuse" in logged
    leaks = [s[:12] + "..." for s in secrets if s and s in logged]
    assert leaks == []
