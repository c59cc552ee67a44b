"""The one private framework method the audit consumer overrides, pinned.

`BatchConsumer` replaces `taskflow.events.Consumer._apply_batch` (see consumer.py for why the
public batch mode alone cannot do one chain append per batch). These tests fail when the
framework changes what that override relies on, instead of the worker silently falling back
to (or skipping) the framework's own batch transaction.
"""

from __future__ import annotations

import inspect

from taskflow.audit.consumer import BatchConsumer
from taskflow.audit.worker import queue_spec
from taskflow.events.consumer import Consumer


def test_only_apply_batch_is_overridden() -> None:
    private = {
        name
        for name, value in vars(BatchConsumer).items()
        if name.startswith("_") and not name.startswith("__") and callable(value)
    }
    assert private == {"_apply_batch"}


def test_framework_still_has_the_hook_with_the_same_shape() -> None:
    hook = getattr(Consumer, "_apply_batch", None)
    assert hook is not None
    assert inspect.iscoroutinefunction(hook)
    assert list(inspect.signature(hook).parameters) == ["self", "ready"]
    assert list(inspect.signature(BatchConsumer._apply_batch).parameters) == ["self", "ready"]
    # `ready` items are (message, envelope, event, handler), which the override unpacks.
    source = inspect.getsource(Consumer._process_batch)
    assert "ready.append((message, envelope, event, handler))" in source
    assert "await self._apply_batch(ready)" in source


def test_worker_spec_turns_on_batch_mode(settings: object) -> None:
    spec = queue_spec(settings)  # type: ignore[arg-type]
    assert spec.batch_size == settings.batch_size > 1  # type: ignore[attr-defined]
    assert spec.prefetch >= spec.batch_size
