"""Removing secrets from a payload before it is hashed and stored.

The auth events are designed to carry no secret, but `user.verification_requested` and
`user.password_reset_requested` carry one-time links for the mail, and a future event may
carry something worse by mistake. Whatever is named in the settings (or in an event class's
`sensitive_fields`) is replaced by a marker at any depth, so the record still shows that the
field was there. Redaction happens before hashing: the secret is never part of the chain, so
there is nothing to rewrite later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"


def redact(value: Any, names: Iterable[str]) -> Any:
    """A copy of `value` with every mapping key in `names` (case-insensitive) redacted."""
    wanted = frozenset(n.lower() for n in names)
    if not wanted:
        return value
    return _redact(value, wanted)


def _redact(value: Any, wanted: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and k.lower() in wanted else _redact(v, wanted))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact(v, wanted) for v in value]
    return value
