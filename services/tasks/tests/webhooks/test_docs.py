"""docs/webhooks.md is the receivers' contract: it must name every type they can subscribe to."""

from __future__ import annotations

import re
from pathlib import Path

from taskflow.tasks.webhooks.payloads import FAMILIES, deliverable_types

DOC = Path(__file__).resolve().parents[4] / "docs" / "webhooks.md"


def _listed() -> set[str]:
    """Types named in the doc's list, spelled out (`task.created`) or as `family.a|b|c`."""
    text = DOC.read_text()
    found: set[str] = set()
    for family, names in re.findall(rf"`({'|'.join(FAMILIES)})\.([a-z_|]+)`", text):
        found.update(f"{family}.{name}" for name in names.split("|"))
    return found


def test_every_deliverable_type_is_documented():
    missing = sorted(set(deliverable_types()) - _listed())
    assert missing == [], f"docs/webhooks.md does not list {missing}"


def test_the_doc_verifies_with_the_standard_library():
    text = DOC.read_text()
    assert "pip install standardwebhooks" in text
    assert "from standardwebhooks import Webhook" in text
    assert ".verify(" in text
