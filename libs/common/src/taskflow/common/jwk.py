"""Public RSA keys as JWKs (RFC 7517/7518): what auth publishes and every verifier reads.

One encoding for the signing service and the test keys, so that what the tests sign with is
published exactly as auth publishes its own keys.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

ALGORITHM = "RS256"


def b64url_uint(value: int) -> str:
    """An unsigned integer as base64url without padding (RFC 7518 "Base64urlUInt")."""
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def rsa_public_jwk(key: RSAPublicKey, kid: str, alg: str = ALGORITHM) -> dict[str, str]:
    """The public JWK of an RSA key, for signatures with ``alg`` under key id ``kid``."""
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": alg,
        "kid": kid,
        "n": b64url_uint(numbers.n),
        "e": b64url_uint(numbers.e),
    }
