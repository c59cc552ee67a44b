"""Standard Webhooks secrets and signatures (standardwebhooks.com, "Signature scheme").

A secret is `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes. The
signed content is `{webhook-id}.{webhook-timestamp}.{body}` and the header carries one
`v1,<base64 HMAC-SHA256>` per valid secret, space separated, which is how the specification
lets a sender sign with an old and a new secret during a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret (shown to the caller once, never again)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64>` of one secret over `id.timestamp.body`."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret in `secrets_`."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }


def message_id(delivery_id: uuid.UUID) -> str:
    """The `webhook-id` of a delivery: the same on every attempt and redelivery."""
    return f"msg_{delivery_id.hex}"
