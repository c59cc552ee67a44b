"""RSA keys, JWKS and minted tokens."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from jose import jwk, jwt

from taskflow.testing import RsaKeys


def _verify(token: str, jwks: dict[str, Any], **options: Any) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience="taskflow",
        issuer="taskflow-auth",
        options=options,
    )
    return claims


def test_jwks_is_public_only(rsa_keys: RsaKeys, jwks: dict[str, Any]) -> None:
    assert [k["kid"] for k in jwks["keys"]] == [rsa_keys.primary.kid, rsa_keys.secondary.kid]
    for key in jwks["keys"]:
        assert set(key) == {"kty", "use", "alg", "kid", "n", "e"}  # no d, p, q...
        assert jwk.construct(key, "RS256").to_dict()["kty"] == "RSA"
    assert "PRIVATE KEY" in rsa_keys.primary.private_pem
    assert "PUBLIC KEY" in rsa_keys.primary.public_pem


def test_mint_token_has_every_claim(
    mint_token: Callable[..., str], jwks: dict[str, Any], rsa_keys: RsaKeys
) -> None:
    user, session = uuid.uuid4(), uuid.uuid4()
    before = int(time.time())
    token = mint_token(
        user,
        roles=("user", "admin"),
        scopes=("tasks:read", "tasks:write"),
        session_id=session,
        expires_in=60,
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == rsa_keys.primary.kid
    claims = _verify(token, jwks)
    assert claims["sub"] == str(user)
    assert claims["sid"] == str(session)
    assert claims["roles"] == ["user", "admin"]
    assert claims["scope"] == "tasks:read tasks:write"
    assert claims["typ"] == "access"
    assert claims["iss"] == "taskflow-auth"
    assert claims["aud"] == "taskflow"
    assert before <= claims["iat"] == claims["nbf"] <= claims["exp"] - 60
    uuid.UUID(claims["jti"])
    assert mint_token()  # defaults: a fresh sub and sid
    # By default a token carries what a signed-in session of its roles carries.
    assert "tasks:write" in _verify(mint_token(), jwks)["scope"].split()
    assert "admin" not in _verify(mint_token(), jwks)["scope"].split()
    assert "admin" in _verify(mint_token(roles=["admin"]), jwks)["scope"].split()


def test_kid_headers_and_claim_removal(
    mint_token: Callable[..., str], jwks: dict[str, Any], rsa_keys: RsaKeys
) -> None:
    second = mint_token(kid=rsa_keys.secondary.kid, typ="refresh")
    assert jwt.get_unverified_header(second)["kid"] == rsa_keys.secondary.kid
    assert _verify(second, jwks)["typ"] == "refresh"

    unknown = mint_token(headers={"kid": "nobody"})
    assert jwt.get_unverified_header(unknown)["kid"] == "nobody"

    no_sid = mint_token(extra_claims={"sid": None, "tenant": "t1"})
    claims = jwt.get_unverified_claims(no_sid)
    assert "sid" not in claims
    assert claims["tenant"] == "t1"

    with pytest.raises(KeyError):
        mint_token(kid="not-a-test-key")


def test_expired_token_is_refused_by_a_verifier(
    mint_token: Callable[..., str], jwks: dict[str, Any]
) -> None:
    with pytest.raises(jwt.ExpiredSignatureError):
        _verify(mint_token(expires_in=-10), jwks)


def test_key_source_wraps_the_jwks(request: pytest.FixtureRequest) -> None:
    try:
        import taskflow.common.security as security
    except ImportError:
        pytest.skip("taskflow.common.security not written yet")
    if not hasattr(security, "StaticKeySource"):
        pytest.skip("StaticKeySource not written yet")
    assert isinstance(request.getfixturevalue("key_source"), security.StaticKeySource)
