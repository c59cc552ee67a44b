"""The audit consumer extends the framework through its public batch hook, and nothing else.

`BatchConsumer` overrides `taskflow.events.Consumer.apply_batch` (see consumer.py for why a
handler alone cannot do one chain append per batch). These tests fail when the class starts
overriding a private method of the framework, or when the hook changes shape, instead of the
worker silently falling back to (or skipping) the framework's own batch transaction.
"""

from __future__ import annotations

import inspect

from taskflow.audit.consumer import BatchConsumer
from taskflow.audit.worker import queue_spec
from taskflow.events import Consumer, Delivery


def test_only_the_public_batch_hook_is_overridden() -> None:
    overridden = {
        name
        for name, value in vars(BatchConsumer).items()
        if not name.startswith("__") and callable(value)
    }
    assert overridden == {"apply_batch"}


def test_framework_hook_has_the_same_shape() -> None:
    hook = Consumer.apply_batch
    assert inspect.iscoroutinefunction(hook)
    assert list(inspect.signature(hook).parameters) == ["self", "ready"]
    assert list(inspect.signature(BatchConsumer.apply_batch).parameters) == ["self", "ready"]
    # `ready` items are Deliveries, whose fields the override reads by name.
    assert Delivery._fields == ("message", "envelope", "event", "handler")


def test_worker_spec_turns_on_batch_mode(settings: object) -> None:
    spec = queue_spec(settings)  # type: ignore[arg-type]
    assert spec.batch_size == settings.batch_size > 1  # type: ignore[attr-defined]
    assert spec.prefetch >= spec.batch_size
