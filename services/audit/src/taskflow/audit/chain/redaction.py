"""Removing secrets from a payload before it is hashed and stored.

Two sources say what is secret:

1. the event class's own `sensitive_fields` (the contract's word: `verify_url` of
   `user.verification_requested`, `reset_url` of `user.password_reset_requested`), always;
2. the settings' list (`AUDIT_REDACT_FIELDS`), as explicit rules `[<event type>:]<dotted path>`:
   `password` is the top-level field `password` of every event; `profile.password` the field
   `password` inside the object `profile`; `*` matches any one key (`*.password`: one level
   down); `user.verification_requested:verify_url` applies to that event type only. Lists on
   the way are crossed element by element. Keys match case-insensitively.

A rule names a place, not a word found anywhere: a bare `code` matched at any depth would blank
a project's `code` or an error `code` that auditors need. Redaction happens before hashing, so
the secret is never part of the chain and there is nothing to rewrite later; the key stays,
with the marker, so the record shows that the field was there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REDACTED = "[redacted]"

Path = tuple[str, ...]


def parse_rule(spec: str) -> tuple[str | None, Path]:
    """`"[type:]a.b.c"` -> `(type or None, ("a", "b", "c"))`; `ValueError` when malformed."""
    text = spec.strip()
    event_type: str | None = None
    if ":" in text:
        event_type, text = (part.strip() for part in text.split(":", 1))
        if not event_type:
            raise ValueError(f"redaction rule {spec!r}: empty event type")
    path = tuple(segment.strip().lower() for segment in text.split("."))
    if not path or any(not segment for segment in path):
        raise ValueError(f"redaction rule {spec!r}: empty path segment")
    return event_type, path


@dataclass(frozen=True, slots=True)
class RedactionRules:
    """The settings' rules, parsed once; `paths_for` adds an event class's own fields."""

    rules: tuple[tuple[str | None, Path], ...] = ()

    @classmethod
    def of(cls, specs: Iterable[str]) -> RedactionRules:
        """Parse `[type:]dotted.path` rules (see the module docstring)."""
        return cls(tuple(parse_rule(s) for s in specs))

    def paths_for(self, event_type: str, sensitive_fields: Iterable[str] = ()) -> list[Path]:
        """The paths to redact in one event's data."""
        paths = [path for scope, path in self.rules if scope is None or scope == event_type]
        paths.extend((name.lower(),) for name in sensitive_fields)
        return paths


def redact(value: Any, paths: Iterable[Path | str]) -> Any:
    """A copy of `value` with the value at each path replaced by the marker (input unchanged).

    A `str` path is a dotted one (`"a.b"`); a missing path is ignored.
    """
    out = value
    for path in paths:
        segments = tuple(path.lower().split(".")) if isinstance(path, str) else path
        out = _redact(out, segments)
    return out


def _redact(value: Any, path: Path) -> Any:
    if isinstance(value, list):
        return [_redact(v, path) for v in value]
    if not isinstance(value, dict) or not path:
        return value
    head, rest = path[0], path[1:]
    changed: dict[Any, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and (head == "*" or key.lower() == head):
            changed[key] = REDACTED if not rest else _redact(item, rest)
    if not changed:
        return value
    return {k: changed.get(k, v) for k, v in value.items()}
