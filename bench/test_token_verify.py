"""Token verifications/s of TokenVerifier next to the raw python-jose `jwt.decode` floor.

Run: `make bench PYTEST_ARGS="-k token_verify"` (see docs/performance.md, "Token verification").
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from taskflow.common.security import StaticKeySource, TokenVerifier

KID = "bench-key"


@pytest.fixture(scope="module")
def material() -> dict[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    public = jwk.construct(public_pem, "RS256")
    entry = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in public.to_dict().items()}
    now = int(time.time())
    claims = {
        "iss": "taskflow-auth",
        "aud": "taskflow",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "roles": ["user"],
        "scope": "*",
        "sid": "s",
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": KID})
    jwks = {"keys": [{**entry, "kid": KID, "use": "sig", "alg": "RS256"}]}
    return {"token": token, "key": public, "jwks": jwks}


def test_token_verify_raw_jose_floor(benchmark: Any, material: dict[str, Any]) -> None:
    """The physical floor: one python-jose decode with a pre-built key, no extra checks."""
    token, key = material["token"], material["key"]

    def run() -> None:
        jwt.decode(token, key, algorithms=["RS256"], audience="taskflow", issuer="taskflow-auth")

    benchmark(run)


def test_token_verify_token_verifier(benchmark: Any, material: dict[str, Any]) -> None:
    """TokenVerifier.verify: header checks, key lookup, decode, claim checks, Principal."""
    verifier = TokenVerifier(
        StaticKeySource(material["jwks"]), issuer="taskflow-auth", audience="taskflow"
    )
    token = material["token"]
    loop = asyncio.new_event_loop()
    try:
        principal = loop.run_until_complete(verifier.verify(token))
        assert principal.roles == frozenset({"user"})
        benchmark(lambda: loop.run_until_complete(verifier.verify(token)))
    finally:
        loop.close()
