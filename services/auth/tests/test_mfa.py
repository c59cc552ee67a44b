"""TOTP enrolment, MFA login, replay refusal, recovery codes, disabling."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pyotp
from auth_testkit import PASSWORD, Api, bearer

from taskflow.auth.mfa import totp


async def _away_from_step_edge() -> None:
    """Codes are computed here and checked a moment later by the app: never straddle a step."""
    left = totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS
    if left < 2:
        await asyncio.sleep(left + 0.05)


async def _enrol(api: Api, pair: dict[str, Any]) -> tuple[str, list[str]]:
    await _away_from_step_edge()
    r = await api.client.post("/api/v1/auth/mfa/totp/setup", headers=bearer(pair))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/")
    # The previous step: still inside the drift window, and leaves the current one unspent.
    code = totp.code_at_step(secret, totp.current_step() - 1)
    r = await api.client.post(
        "/api/v1/auth/mfa/totp/confirm", json={"code": code}, headers=bearer(pair)
    )
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert len(codes) == 10
    return secret, codes


async def test_secret_is_encrypted_at_rest(api: Api) -> None:
    user, pair = await api.signed_in()
    secret, _ = await _enrol(api, pair)
    async with api.engine.connect() as conn:
        from sqlalchemy import text

        row = (
            await conn.execute(
                text("SELECT totp_secret_enc FROM auth.users WHERE id = :id"), {"id": user["id"]}
            )
        ).one()
    assert secret.encode() not in bytes(row[0])
    assert (await api.events("user.mfa_enabled"))[0]["user_id"] == user["id"]


async def test_mfa_login_and_replay_is_refused(api: Api) -> None:
    user, pair = await api.signed_in()
    secret, _ = await _enrol(api, pair)
    r = await api.login(user["email"])
    assert r.status_code == 200
    assert r.json()["mfa_required"] is True
    assert "access_token" not in r.json()
    mfa_token = r.json()["mfa_token"]
    await _away_from_step_edge()
    code = pyotp.TOTP(secret).now()
    r = await api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
    # The challenge is single use.
    r = await api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code})
    assert r.status_code == 401
    # Same code again on a fresh challenge: replay in its window, refused.
    fresh = (await api.login(user["email"])).json()["mfa_token"]
    r = await api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": fresh, "code": code})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_mfa"
    # An older step than the last one used is refused too.
    older = totp.code_at_step(secret, totp.current_step() - 1)
    r = await api.client.post("/api/v1/auth/login/mfa", json={"mfa_token": fresh, "code": older})
    assert r.status_code == 401


async def test_recovery_code_works_once_and_challenge_attempts_are_capped(api: Api) -> None:
    user, pair = await api.signed_in()
    _, codes = await _enrol(api, pair)
    challenge = (await api.login(user["email"])).json()["mfa_token"]
    r = await api.client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": codes[0].upper()}
    )
    assert r.status_code == 200, r.text
    challenge = (await api.login(user["email"])).json()["mfa_token"]
    r = await api.client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": codes[0]}
    )
    assert r.status_code == 401
    for _ in range(5):
        await api.client.post(
            "/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": "000000"}
        )
    # Five failures burn the challenge, even with a good code now.
    r = await api.client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": challenge, "code": codes[1]}
    )
    assert r.status_code in (401, 429)
    failed = [e for e in await api.events("user.login_failed") if e["reason"] == "bad_mfa_code"]
    assert failed


async def test_disable_needs_password_and_code(api: Api) -> None:
    user, pair = await api.signed_in()
    _, codes = await _enrol(api, pair)
    r = await api.client.post(
        "/api/v1/auth/mfa/totp/disable",
        json={"password": "Wrong-Password-000", "code": codes[0]},
        headers=bearer(pair),
    )
    assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/mfa/totp/disable",
        json={"password": PASSWORD, "code": codes[0]},
        headers=bearer(pair),
    )
    assert r.status_code == 204
    r = await api.login(user["email"])
    assert "access_token" in r.json()


async def test_setup_twice_after_enabling_is_a_conflict(api: Api) -> None:
    _, pair = await api.signed_in()
    await _enrol(api, pair)
    r = await api.client.post("/api/v1/auth/mfa/totp/setup", headers=bearer(pair))
    assert r.status_code == 409
