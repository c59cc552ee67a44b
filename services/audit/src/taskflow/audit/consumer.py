"""Batched consumption of `audit.events` on the framework's batch mode, with one chain append.

The framework's `Consumer` (taskflow.events) has a public batch mode (`QueueSpec(batch_size=N,
batch_wait_ms=W)`): it collects up to N delivered messages, parks the malformed ones, runs the
rest in ONE transaction and acks them with one `multiple` ack; when that transaction fails it
replays the batch one message at a time through the per-message path (so a poison message is
retried and parked alone), and when the database is away it puts the batch back. The audit
worker uses all of that as is.

A handler alone cannot express the append itself: in batch mode the framework calls the
handler once per event, and a handler has no "end of batch" moment. Each call would have to
insert its own row (1,000 round trips and statements per batch instead of one), and the
head-row lock and hash state would have to be smuggled between calls through the session.
So `BatchConsumer` overrides the framework's public batch hook, `apply_batch(ready)`: same
contract (inbox rows and effects of the batch in one transaction, return how many events were
fresh), but the fresh events become one `append` - one `chain_head` lock, one multi-row insert.
It overrides nothing else (`tests/worker/test_coupling.py` holds it to that).
A single event (a batch of one, or a replay in the per-message path) goes through the
framework's own path with `make_handler`, which appends that one entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from taskflow.audit.chain.append import NewEntry, append
from taskflow.audit.chain.handlers import make_handler
from taskflow.audit.chain.intake import to_entry
from taskflow.audit.chain.redaction import RedactionRules
from taskflow.audit.pg import driver
from taskflow.events import Consumer, Delivery


class BatchConsumer(Consumer):
    """A `Consumer` in batch mode whose batch transaction is one chain append."""

    def __init__(self, *args: Any, redact: RedactionRules | Iterable[str], **kwargs: Any) -> None:
        rules = redact if isinstance(redact, RedactionRules) else RedactionRules.of(redact)
        kwargs.setdefault("handlers", {})
        kwargs.setdefault("default_handler", make_handler(rules))
        super().__init__(*args, **kwargs)
        self.redact = rules

    async def apply_batch(self, ready: Sequence[Delivery]) -> int:
        """Inbox rows and chain entries of a batch in one transaction; entries written.

        Raises (and so sends the batch to the framework's one-by-one replay) when an event
        cannot be recorded, say a NaN that canonical JSON refuses: nothing of it is written.
        """
        entries_by_id: dict[uuid.UUID, NewEntry] = {}
        order: list[NewEntry] = []
        for delivery in ready:
            entry = to_entry(delivery.envelope, delivery.event, self.redact)
            order.append(entry)
            entries_by_id.setdefault(entry.event_id, entry)
        async with self.sessionmaker() as session, session.begin():
            pg = await driver(session)
            # One statement with one array parameter (a multi-row VALUES of 1000 rows costs
            # SQLAlchemy more to compile than PostgreSQL to run).
            fresh_rows = await pg.fetch(
                "INSERT INTO audit.inbox (event_id, queue) "
                "SELECT e, $2 FROM unnest($1::uuid[]) AS u(e) "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                list(entries_by_id),
                self.spec.name,
            )
            fresh = {uuid.UUID(str(r[0])) for r in fresh_rows}
            entries: list[NewEntry] = []
            for entry in order:
                if entry.event_id in fresh:
                    entries.append(entry)
                    fresh.discard(entry.event_id)  # a second copy inside the batch is skipped
            if not entries:
                return 0
            done = await append(session, entries)
            return done.written
