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


def test_the_invitation_link_never_enters_the_log_and_its_project_is_known() -> None:
    """The invitation mail's link is redacted by the contract and by the default rules; the
    entry is filed under the project, so project-filtered audit queries find invitations."""
    from taskflow.audit.config import DEFAULT_REDACT_FIELDS
    from taskflow.events.contracts import ProjectInvitationCreated, ProjectInvitationMailRequested

    env = Envelope.wrap(example(ProjectInvitationMailRequested), source="t", actor_id=None)
    for rules in (RedactionRules(), RedactionRules.of(list(DEFAULT_REDACT_FIELDS))):
        entry = to_entry(env, env.event(), rules)
        assert json.loads(entry.payload)["invite_url"] == REDACTED
        assert "one-time" not in entry.payload
        assert str(entry.project_id) == env.data["project_id"]
    created = Envelope.wrap(example(ProjectInvitationCreated), source="t", actor_id=None)
    entry = to_entry(created, created.event(), RedactionRules())
    assert json.loads(entry.payload)["email"] == "grace@example.com"
    assert "token" not in json.dumps(created.data)
