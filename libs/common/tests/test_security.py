"""Token verification through a real app route: every bad token is a 401 problem."""

import base64
import functools
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from common_testkit import AppFactory, Keys, client_for, serve
from fastapi import APIRouter, Depends, FastAPI
from jose import jwt

from taskflow.common.scopes import Scope
from taskflow.common.security import (
    CurrentPrincipal,
    JWKSKeySource,
    Principal,
    require_roles,
    require_scope,
)

router = APIRouter()


@router.get("/me")
async def me(who: CurrentPrincipal) -> dict[str, Any]:
    return {"user_id": str(who.user_id), "roles": sorted(who.roles), "sid": who.session_id}


@router.get("/admin")
async def admin(who: Principal = Depends(require_roles("admin"))) -> dict[str, str]:
    return {"ok": "admin"}


@router.get("/reports", dependencies=[require_scope(Scope.REPORTS_READ)])
async def reports(who: CurrentPrincipal) -> dict[str, str]:
    return {"ok": "reports"}


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app(router)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["admin"]
    return f"{header}.{_b64(claims)}.{sig}"


def _hs256(claims: dict[str, Any], secret: str, kid: str) -> str:
    """HS256 signed with the RSA public key PEM as the secret (jose refuses to make one)."""
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': kid})}.{_b64(claims)}"
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(sig).decode().rstrip('=')}"


@functools.cache
def _other_keys() -> Keys:
    return Keys(kid="other-key")


def _bad_token(keys: Keys, case: str) -> str:
    now = int(time.time())
    other = _other_keys()
    makers: dict[str, Any] = {
        "expired": lambda: keys.mint(exp=now - 120, iat=now - 1000, nbf=now - 1000),
        "not_yet_valid": lambda: keys.mint(nbf=now + 600, iat=now),
        "iat_in_future": lambda: keys.mint(iat=now + 600, nbf=None),
        "unknown_kid": lambda: other.mint(),
        "right_kid_wrong_key": lambda: jwt.encode(
            keys.claims(), other.private_pem, algorithm="RS256", headers={"kid": keys.kid}
        ),
        "alg_none": lambda: (
            f"{_b64({'alg': 'none', 'kid': keys.kid, 'typ': 'JWT'})}.{_b64(keys.claims())}."
        ),
        "hs256_with_public_key": lambda: _hs256(keys.claims(), keys.public_pem, keys.kid),
        "jku_header": lambda: keys.mint(headers={"jku": "https://evil.example/jwks.json"}),
        "jwk_header": lambda: keys.mint(headers={"jwk": keys.jwk}),
        "x5u_header": lambda: keys.mint(headers={"x5u": "https://evil.example/cert"}),
        "refresh_as_access": lambda: keys.mint(typ="refresh"),
        "no_typ": lambda: keys.mint(typ=None),
        "tampered_payload": lambda: _tamper(keys.mint()),
        "wrong_issuer": lambda: keys.mint(iss="someone-else"),
        "wrong_audience": lambda: keys.mint(aud="other-api"),
        "no_exp": lambda: keys.mint(exp=None),
        "no_iss": lambda: keys.mint(iss=None),
        "no_aud": lambda: keys.mint(aud=None),
        "no_sub": lambda: keys.mint(sub=None),
        "no_kid": lambda: jwt.encode(keys.claims(), keys.private_pem, algorithm="RS256"),
        "rs512": lambda: keys.mint_with_alg("RS512"),
        "no_iat": lambda: keys.mint(iat=None),
        "sub_not_uuid": lambda: keys.mint(sub="alice"),
        "oversized": lambda: keys.mint(pad="x" * 9000),
        "garbage": lambda: "not.a.jwt",
    }
    return str(makers[case]())


BAD = [
    "expired",
    "not_yet_valid",
    "iat_in_future",
    "unknown_kid",
    "right_kid_wrong_key",
    "alg_none",
    "hs256_with_public_key",
    "jku_header",
    "jwk_header",
    "x5u_header",
    "refresh_as_access",
    "no_typ",
    "tampered_payload",
    "wrong_issuer",
    "wrong_audience",
    "no_exp",
    "no_iss",
    "no_aud",
    "no_sub",
    "no_kid",
    "rs512",
    "no_iat",
    "sub_not_uuid",
    "oversized",
    "garbage",
]


@pytest.mark.parametrize("case", BAD)
async def test_bad_token_is_401_problem(app: FastAPI, keys: Keys, case: str) -> None:
    token = _bad_token(keys, case)
    async with client_for(app) as c:
        resp = await c.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["code"] == "invalid_token"
    assert body["detail"] == "The access token is invalid or expired."  # the same for all
    assert body["request_id"] == resp.headers["x-request-id"]
    assert resp.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_valid_token_gives_principal(app: FastAPI, keys: Keys) -> None:
    sub = str(uuid.uuid4())
    async with client_for(app) as c:
        resp = await c.get("/me", headers={"Authorization": f"Bearer {keys.mint(sub=sub)}"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"user_id": sub, "roles": ["user"], "sid": "s1"}


async def test_small_clock_skew_is_accepted(app: FastAPI, keys: Keys) -> None:
    now = int(time.time())
    token = keys.mint(iat=now + 10, nbf=now + 10)
    async with client_for(app) as c:
        resp = await c.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Bearer "])
async def test_missing_bearer_is_not_authenticated(app: FastAPI, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    async with client_for(app) as c:
        resp = await c.get("/me", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_require_roles(app: FastAPI, keys: Keys) -> None:
    async with client_for(app) as c:
        denied = await c.get("/admin", headers={"Authorization": f"Bearer {keys.mint()}"})
        ok = await c.get(
            "/admin", headers={"Authorization": f"Bearer {keys.mint(roles=['admin'])}"}
        )
    assert denied.status_code == 403
    assert denied.json()["code"] == "forbidden"
    assert ok.status_code == 200


async def test_require_scopes_has_no_wildcard(app: FastAPI, keys: Keys) -> None:
    async with client_for(app) as c:
        star = await c.get("/reports", headers={"Authorization": f"Bearer {keys.mint(scope='*')}"})
        exact = await c.get(
            "/reports",
            headers={"Authorization": f"Bearer {keys.mint(scope='tasks:read reports:read')}"},
        )
        missing = await c.get(
            "/reports", headers={"Authorization": f"Bearer {keys.mint(scope='tasks:read')}"}
        )
    assert star.status_code == 403
    assert star.json()["code"] == "insufficient_scope"
    assert exact.status_code == 200
    assert missing.status_code == 403
    assert missing.json()["required_scopes"] == ["reports:read"]


def test_principal_helpers() -> None:
    p = Principal(user_id=uuid.uuid4(), roles=frozenset({"user"}), scopes=frozenset({"a"}))
    assert p.has_role("admin", "user")
    assert not p.has_role("admin")
    assert p.has_scope("a")
    assert not p.has_scope("b")
    assert not Principal(user_id=uuid.uuid4(), scopes=frozenset({"*"})).has_scope("anything")
    # A role widens what a route shows only when the token carries the role's power scope.
    admin = Principal(user_id=uuid.uuid4(), roles=frozenset({"admin"}))
    assert not admin.acts_as("admin")
    assert Principal(
        user_id=uuid.uuid4(), roles=frozenset({"admin"}), scopes=frozenset({"admin"})
    ).acts_as("admin")
    assert not Principal(user_id=uuid.uuid4(), scopes=frozenset({"admin"})).acts_as("admin")


async def test_jwks_source_refreshes_on_unknown_kid_rate_limited(keys: Keys) -> None:
    """A rotated key is picked up on first sight; made-up kids cannot cause a fetch storm."""
    served: dict[str, Any] = {"jwks": keys.jwks, "hits": 0}
    jwks_app = FastAPI()

    @jwks_app.get("/jwks.json")
    async def jwks() -> dict[str, Any]:
        served["hits"] += 1
        return served["jwks"]

    rotated = Keys(kid="rotated")
    async with serve(jwks_app) as base, httpx.AsyncClient() as http:
        source = JWKSKeySource(f"{base}/jwks.json", ttl=300, min_refresh_interval=0.3, client=http)
        assert await source.get(keys.kid) is not None
        assert served["hits"] == 1
        # Unknown kids: at most one refresh per interval, however many tokens arrive.
        for _ in range(20):
            assert await source.get("made-up", refresh=True) is None
        assert served["hits"] == 1  # the first fetch was just now
        served["jwks"] = {"keys": [keys.jwk, rotated.jwk]}
        # Poll until the rate limit lets one refresh through.
        deadline = time.monotonic() + 3
        found = None
        while found is None and time.monotonic() < deadline:
            found = await source.get("rotated", refresh=True)
        assert found is not None
        assert served["hits"] == 2
        # Only RSA signing keys are taken.
        served["jwks"] = {
            "keys": [
                {**rotated.jwk, "kid": "enc", "use": "enc"},
                {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            ]
        }
        source.min_refresh_interval = 0
        assert await source.get("enc", refresh=True) is None
        assert await source.get("hmac", refresh=True) is None
