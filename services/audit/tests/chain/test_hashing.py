"""Canonical JSON and entry hashing (pure)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from taskflow.audit.chain.hashing import (
    GENESIS_HASH,
    EntryContent,
    canonical_json,
    entry_document,
    entry_hash,
    format_ts,
)
from taskflow.audit.chain.redaction import REDACTED, RedactionRules, redact


def _content(**kw: object) -> EntryContent:
    base: dict[str, object] = {
        "seq": 7,
        "event_id": uuid.UUID("0195f0a0-0000-7000-8000-000000000001"),
        "type": "task.created",
        "actor_id": uuid.UUID("0195f0a0-0000-7000-8000-000000000002"),
        "subject": 'task/"quoted" ünïcode',
        "project_id": None,
        "occurred_at": datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
        "recorded_at": datetime(2026, 11, 24, 10, 0, 0, 123, tzinfo=timezone(timedelta(hours=2))),
        "payload": canonical_json({"b": [1, 2.5, None], "a": "é"}),
        "prev_hash": GENESIS_HASH,
    }
    base.update(kw)
    return EntryContent(**base)  # type: ignore[arg-type]


def test_document_is_canonical_json_of_the_fields() -> None:
    """The hand-built document equals the generic canonical serialisation."""
    c = _content()
    expected = canonical_json(
        {
            "seq": c.seq,
            "event_id": str(c.event_id),
            "type": c.type,
            "actor_id": str(c.actor_id),
            "subject": c.subject,
            "project_id": None,
            "occurred_at": c.occurred_at,
            "recorded_at": c.recorded_at,
            "payload": json.loads(c.payload),
            "prev_hash": c.prev_hash,
        }
    )
    assert entry_document(c) == expected
    assert entry_hash(c) == hashlib.sha256(expected.encode()).hexdigest()


def test_timestamps_are_utc_with_microseconds() -> None:
    ts = datetime(2026, 11, 24, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    assert format_ts(ts) == "2026-11-24T09:00:00.000005Z"
    with pytest.raises(ValueError):
        format_ts(datetime(2026, 1, 1))


def test_every_field_changes_the_hash() -> None:
    base = entry_hash(_content())
    changes = {
        "seq": 8,
        "event_id": uuid.uuid4(),
        "type": "task.deleted",
        "actor_id": None,
        "subject": None,
        "project_id": uuid.uuid4(),
        "occurred_at": datetime(2026, 11, 24, 9, 0, 1, tzinfo=UTC),
        "recorded_at": datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
        "payload": canonical_json({"a": "e"}),
        "prev_hash": "f" * 64,
    }
    for field, value in changes.items():
        assert entry_hash(_content(**{field: value})) != base, field


def test_canonical_json_refuses_nan_and_sorts() -> None:
    assert canonical_json({"b": 1, "a": {"d": 1, "c": 2}}) == '{"a":{"c":2,"d":1},"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_redaction_by_path_case_insensitive() -> None:
    data = {
        "email": "a@b.c",
        "Reset_URL": "https://x/reset?t=1",
        "nested": [{"token": "abc", "keep": 1}],
        "profile": {"password": "hunter2"},
    }
    out = redact(data, ["reset_url", "nested.token", "*.password"])
    assert out == {
        "email": "a@b.c",
        "Reset_URL": REDACTED,
        "nested": [{"token": REDACTED, "keep": 1}],
        "profile": {"password": REDACTED},
    }
    assert data["profile"] == {"password": "hunter2"}  # the input is not changed


def test_redaction_names_places_not_words() -> None:
    """A top-level `code` rule leaves a nested, harmless `code` (an error code) alone."""
    data = {"code": "123456", "error": {"code": "E42"}, "codes": ["a"]}
    assert redact(data, ["code"]) == {"code": REDACTED, "error": {"code": "E42"}, "codes": ["a"]}
    assert redact(data, ["missing.path"]) is data


def test_rules_scope_by_event_type_and_add_sensitive_fields() -> None:
    rules = RedactionRules.of(["password", "user.verification_requested:verify_url"])
    assert rules.paths_for("task.created") == [("password",)]
    assert rules.paths_for("user.verification_requested") == [("password",), ("verify_url",)]
    assert rules.paths_for("x.y", frozenset({"PIN"})) == [("password",), ("pin",)]
