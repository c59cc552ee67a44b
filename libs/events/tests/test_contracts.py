"""Contracts, envelope and catalog: pure logic, no servers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from uuid import UUID, uuid4

import orjson
import pytest

from taskflow.events import (
    Envelope,
    FieldChange,
    MalformedEvent,
    ProjectUpdated,
    SchemaMismatch,
    TaskCreated,
    UnknownEventType,
    UserPasswordResetRequested,
    catalog,
    contract_version,
    decode,
    event_class,
    registered_events,
    uuid7,
)
from taskflow.events.contracts.tasks import TaskSnapshot
from taskflow.events.examples import example, examples, missing_examples, task_snapshot

CATALOG_DIR = Path(__file__).resolve().parents[3] / "docs" / "events"

EXPECTED_TYPES = {
    "user.registered",
    "user.updated",
    "user.deactivated",
    "user.mfa_enabled",
    "user.verification_requested",
    "user.password_reset_requested",
    "user.email_change_requested",
    "user.login_failed",
    "project.created",
    "project.updated",
    "project.archived",
    "project.deleted",
    "project.restored",
    "project.workflow_changed",
    "task.dependency_added",
    "task.dependency_removed",
    "task.unblocked",
    "task.moved",  # issue 12: a task moved to another project
    "project.member_added",
    "project.member_role_changed",
    "project.member_removed",
    "project.invitation_created",
    "project.invitation_revoked",
    "project.invitation_accepted",
    "project.invitation_mail_requested",
    "task.created",
    "task.updated",
    "task.assigned",
    "task.unassigned",
    "task.status_changed",
    "task.completed",
    "task.reopened",
    "task.deleted",
    "task.restored",
    "comment.added",
    "comment.edited",
    "comment.deleted",
    "milestone.created",
    "milestone.updated",
    "notification.delivery_failed",
    "webhook.disabled",  # issue 15: an endpoint failing for days was deactivated
}


def test_every_architecture_event_is_registered_with_an_example() -> None:
    assert {c.event_type for c in registered_events()} == EXPECTED_TYPES
    assert missing_examples() == []


@pytest.mark.parametrize("event", examples(), ids=lambda e: e.event_type)
def test_envelope_round_trip(event: object) -> None:
    actor = uuid4()
    env = Envelope.wrap(event, source="taskflow/test", actor_id=actor)  # type: ignore[arg-type]
    body = env.to_bytes()
    raw = orjson.loads(body)
    assert raw["specversion"] == "1.0"
    assert raw["type"] == env.type
    assert raw["time"].endswith("Z")
    assert raw["dataschema"] == f"taskflow/{env.type}/v1"
    assert raw["subject"] == event.subject()  # type: ignore[attr-defined]
    back = decode(body)
    assert back == env
    assert back.actorid == actor
    assert back.event() == event
    assert type(back.event()) is type(event)


def test_event_is_frozen_and_forbids_extra_fields() -> None:
    event = example(TaskCreated)
    with pytest.raises(Exception):
        event.task = event.task  # type: ignore[misc]
    with pytest.raises(Exception):
        TaskCreated(task=event.task, surprise=1)  # type: ignore[call-arg]


def test_resource_version_field_does_not_hide_the_contract_version() -> None:
    event = example(ProjectUpdated)
    assert event.version == 4  # the project's version
    assert contract_version(event) == 1
    assert event_class("project.updated", 1) is ProjectUpdated
    assert Envelope.wrap(event, source="s", actor_id=None).dataschema.endswith("/v1")


def test_ordering_keys_and_project() -> None:
    event = example(TaskCreated)
    assert event.aggregate_id() == str(event.task.task_id)
    assert event.subject() == f"task/{event.task.task_id}"
    assert event.project_id == event.task.project_id
    assert example(UserPasswordResetRequested).project_ref() is None


def test_field_change_normalises_to_json() -> None:
    u = uuid4()
    change = FieldChange(before=u, after=datetime(2026, 1, 1))
    assert change.before == str(u)
    assert change.after == "2026-01-01T00:00:00"


def test_sensitive_fields_are_redacted() -> None:
    event = example(UserPasswordResetRequested)
    assert "reset_url" in event.sensitive_fields
    data = event.redacted()
    assert data["reset_url"] == "[redacted]"
    assert data["email"] == event.email


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "1.0"}', "not a CloudEvents envelope"),
    ],
)
def test_decode_rejects_garbage(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedEvent) as info:
        decode(body)
    assert reason in info.value.reason


def _raw(event_type: str = "task.created", version: int = 1, data: object = None) -> bytes:
    env = Envelope.wrap(example(TaskCreated), source="s", actor_id=None).to_dict()
    env["type"] = event_type
    env["dataschema"] = f"taskflow/{event_type}/v{version}"
    if data is not None:
        env["data"] = data
    return orjson.dumps(env)


def test_unknown_type_and_version() -> None:
    with pytest.raises(UnknownEventType):
        decode(_raw("task.exploded")).event()
    with pytest.raises(UnknownEventType):
        decode(_raw("task.created", 9)).event()


def test_schema_mismatch_names_the_field_not_the_value() -> None:
    with pytest.raises(SchemaMismatch) as info:
        decode(_raw(data={"task": {"task_id": "secret-value"}})).event()
    assert "task.task_id" in info.value.reason
    assert "secret-value" not in info.value.reason


def test_mismatched_dataschema_is_rejected() -> None:
    env = orjson.loads(_raw())
    env["dataschema"] = "taskflow/task.deleted/v1"
    with pytest.raises(SchemaMismatch):
        decode(orjson.dumps(env)).event()


def test_catalog_has_not_drifted() -> None:
    """Fails when docs/events differs from the models: run the command in the message."""
    rendered = catalog.render()
    on_disk = {p.name: p.read_bytes() for p in CATALOG_DIR.iterdir() if p.is_file()}
    stale = sorted(set(on_disk) - set(rendered))
    missing = sorted(set(rendered) - set(on_disk))
    changed = sorted(n for n in rendered if n in on_disk and on_disk[n] != rendered[n])
    drift = stale + missing + changed
    assert not drift, (
        f"docs/events drifted (stale={stale}, missing={missing}, changed={changed}); run "
        "`uv run python -m taskflow.events.catalog docs/events` and commit the result"
    )


def test_catalog_schema_describes_the_envelope() -> None:
    schema = orjson.loads((CATALOG_DIR / "task.created.v1.json").read_bytes())
    assert schema["properties"]["type"] == {"const": "task.created"}
    assert schema["$defs"]["TaskCreated"]["required"] == ["task"]
    reset = orjson.loads((CATALOG_DIR / "user.password_reset_requested.v1.json").read_bytes())
    assert reset["x-taskflow-sensitive-fields"] == ["reset_url"]
    assert UUID(str(uuid7())).version == 7


def test_task_snapshots_from_before_workflows_still_parse_and_have_a_category() -> None:
    """Events written before per-project workflows carry no status id or category: they parse,
    and their category is the one of the fixed status of that name."""

    old = task_snapshot(status="blocked").model_dump(mode="json")
    del old["status_id"], old["status_category"]
    snap = TaskSnapshot.model_validate(old)
    assert (snap.status_id, snap.status_category, snap.category) == (None, None, "in_progress")
    assert not snap.is_closed
    shipped = task_snapshot(status="Shipped", status_category="done")
    assert (shipped.category, shipped.is_closed) == ("done", True)
