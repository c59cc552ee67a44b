"""JWKS, key rotation (old tokens stay valid until they expire), encrypted storage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auth_testkit import Api, bearer
from jose import jwt
from sqlalchemy import text

from taskflow.auth.crypto import SecretBox
from taskflow.auth.keys import service as keys
from taskflow.testing import wait_until


async def test_jwks_publishes_the_signing_key(api: Api) -> None:
    _, pair = await api.signed_in()
    kid = jwt.get_unverified_header(pair["access_token"])["kid"]
    r = await api.client.get("/api/v1/auth/.well-known/jwks.json")
    assert r.status_code == 200
    published = {k["kid"]: k for k in r.json()["keys"]}
    assert kid in published
    assert "d" not in published[kid]
    claims = jwt.get_unverified_claims(pair["access_token"])
    assert claims["iss"] == "taskflow-auth"
    assert claims["aud"] == "taskflow"
    # A session carries the scopes of its roles, sorted (see test_scopes.py).
    assert claims["scope"] == (
        "account:read account:write notifications:read notifications:write reports:read"
        " tasks:read tasks:write"
    )
    assert claims["roles"] == ["user"]
    assert claims["sid"] == pair["session_id"]
    assert claims["exp"] - claims["iat"] == 900


async def test_private_keys_are_encrypted(api: Api) -> None:
    await api.signed_in()
    async with api.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT private_key_enc FROM auth.signing_keys"))).all()
    assert rows
    assert all(b"PRIVATE KEY" not in bytes(r[0]) for r in rows)


async def test_rotation_keeps_old_tokens_valid_until_they_expire(api: Api, app: Any) -> None:
    _, old_pair = await api.signed_in()
    old_kid = jwt.get_unverified_header(old_pair["access_token"])["kid"]
    ctx = app.state.ctx
    async with ctx.sessionmaker() as session, session.begin():
        new_key = await keys.rotate(session, SecretBox(ctx.settings.kek_bytes()), ctx.settings)
    ctx.minter.forget()
    _, new_pair = await api.signed_in()
    assert jwt.get_unverified_header(new_pair["access_token"])["kid"] == new_key.kid
    jwks = (await api.client.get("/api/v1/auth/.well-known/jwks.json")).json()
    assert {old_kid, new_key.kid} <= {k["kid"] for k in jwks["keys"]}
    # Both tokens verify.
    assert (await api.client.get("/api/v1/users/me", headers=bearer(old_pair))).status_code == 200

    # The new kid is unknown to the verifier's cache until it re-reads (rate-limited, 0.25 s).
    async def new_token_ok() -> bool:
        r = await api.client.get("/api/v1/users/me", headers=bearer(new_pair))
        return r.status_code == 200

    await wait_until(new_token_ok, timeout=3)
    # Once the old key's retire time has passed it leaves the JWKS (its tokens have expired).
    async with api.engine.begin() as conn:
        row = (
            await conn.execute(
                text("SELECT rotated_at, retire_after FROM auth.signing_keys WHERE kid = :k"),
                {"k": old_kid},
            )
        ).one()
        assert row.retire_after - row.rotated_at >= timedelta(seconds=900 + 30)
        await conn.execute(
            text(
                "UPDATE auth.signing_keys SET retire_after = now() - interval '1 second' "
                "WHERE kid = :k"
            ),
            {"k": old_kid},
        )
    jwks = (await api.client.get("/api/v1/auth/.well-known/jwks.json")).json()
    assert old_kid not in {k["kid"] for k in jwks["keys"]}


async def test_two_concurrent_first_starts_make_one_key(auth_engine: Any, app: Any) -> None:
    import asyncio

    ctx = app.state.ctx
    async with auth_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE auth.signing_keys SET rotated_at = now(), "
                "retire_after = now() + interval '20 minutes' "
                "WHERE rotated_at IS NULL"
            )
        )

    async def start() -> str:
        async with ctx.sessionmaker() as session, session.begin():
            return (await keys.ensure_active_key(session, ctx.box)).kid

    kids = await asyncio.gather(start(), start())
    assert kids[0] == kids[1]
    ctx.minter.forget()


async def test_a_fresh_system_publishes_its_key_before_the_first_sign_in(
    api: Api, auth_engine: Any, app: Any
) -> None:
    """A verifier that fetches the JWKS before anyone signed in must get the key it will need."""
    async with auth_engine.begin() as conn:
        # As good as a fresh system: nothing published (every key long retired).
        await conn.execute(
            text(
                "UPDATE auth.signing_keys SET rotated_at = now() - interval '2 days', "
                "retire_after = now() - interval '1 day'"
            )
        )
    app.state.ctx.minter.forget()
    r = await api.client.get("/api/v1/auth/.well-known/jwks.json")
    assert r.status_code == 200
    early = {k["kid"] for k in r.json()["keys"]}
    assert len(early) == 1
    _, pair = await api.signed_in()
    assert jwt.get_unverified_header(pair["access_token"])["kid"] in early
