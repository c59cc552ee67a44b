"""An envelope becomes an entry: the contract's `sensitive_fields` are redacted on their own."""

from __future__ import annotations

import json

from taskflow.audit.chain.intake import to_entry
from taskflow.audit.chain.redaction import REDACTED, RedactionRules
from taskflow.events import Envelope
from taskflow.events.contracts import TaskCreated, UserVerificationRequested
from taskflow.events.examples import example


def test_contract_sensitive_fields_redacted_without_any_setting() -> None:
    env = Envelope.wrap(example(UserVerificationRequested), source="t", actor_id=None)
    assert "verify_url" in env.data
    entry = to_entry(env, env.event(), RedactionRules())
    payload = json.loads(entry.payload)
    assert payload["verify_url"] == REDACTED
    assert payload["user_id"] == env.data["user_id"]


def test_settings_rules_apply_per_event_type_by_dotted_path() -> None:
    env = Envelope.wrap(example(TaskCreated), source="t", actor_id=None)
    title = env.data["task"]["title"]
    scoped = RedactionRules.of(["user.registered:task.title"])
    assert json.loads(to_entry(env, env.event(), scoped).payload)["task"]["title"] == title
    rules = RedactionRules.of(["task.created:task.title", "title"])
    task = json.loads(to_entry(env, env.event(), rules).payload)["task"]
    assert task["title"] == REDACTED
    assert task["key"] == env.data["task"]["key"]  # only the named place
    # recurrence.rrule stays: a bare name is top-level only, not any field of that name
    assert task["recurrence"] == env.data["task"]["recurrence"]
