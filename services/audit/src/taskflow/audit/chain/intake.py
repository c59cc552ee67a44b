"""Turning a CloudEvents envelope into an entry to append: redact, canonicalise, pick fields.

The payload is the envelope's `data` as sent (not re-dumped from the parsed contract, so a
field the contract would normalise is recorded as the producer wrote it), with the contract's
own `sensitive_fields` and the settings' redaction rules (dotted paths, see `redaction.py`)
replaced by a marker. Canonical JSON
refuses NaN and infinities: such a message raises `ValueError`, which fails the whole message
(it is retried and then parked), so nothing is ever recorded half.
"""

from __future__ import annotations

from taskflow.audit.chain.append import NewEntry
from taskflow.audit.chain.hashing import canonical_json
from taskflow.audit.chain.redaction import RedactionRules, redact
from taskflow.common.tracing import trace_id_of
from taskflow.events.contracts.base import Event
from taskflow.events.envelope import Envelope


def to_entry(envelope: Envelope, event: Event | None, rules: RedactionRules) -> NewEntry:
    """The entry recording `envelope` (whose data parsed into `event`)."""
    sensitive = type(event).sensitive_fields if event is not None else frozenset()
    paths = rules.paths_for(envelope.type, sensitive)
    project = event.project_ref() if event is not None else None
    return NewEntry(
        event_id=envelope.id,
        type=envelope.type,
        actor_id=envelope.actorid,
        subject=envelope.subject,
        project_id=project,
        occurred_at=envelope.time,
        payload=canonical_json(redact(envelope.data, paths)),
        trace_id=trace_id_of(envelope.traceparent),
    )
