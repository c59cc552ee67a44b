"""checkov over terraform/, the rendered chart and the Dockerfiles: no finding that is not
accepted (with its reason) in checkov_accepted.yaml, and no accepted entry that is unused."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Checkov

ACCEPTED: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).parent / "checkov_accepted.yaml").read_text()
)


def _findings(results: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    out = []
    for report in results:
        assert report["summary"]["parsing_errors"] == 0, report["summary"]
        assert report["summary"]["resource_count"] > 0, "checkov scanned nothing"
        for failed in report["results"]["failed_checks"]:
            out.append((failed["check_id"], failed["resource"], failed["file_path"]))
    return out


def _accepted(
    check: str, resource: str, path: str, entries: list[dict[str, Any]]
) -> dict[str, Any] | None:
    for entry in entries:
        if (
            entry["check"] == check
            and any(fnmatch(resource, p) for p in entry["resources"])
            and any(fnmatch(path, p) for p in entry.get("files", ["*"]))
        ):
            return entry
    return None


# checkov takes ~10 s of CPU per scan; on a loaded shared machine that can be minutes.
@pytest.mark.timeout(900)
@pytest.mark.parametrize("framework", ["terraform", "kubernetes", "dockerfile"])
def test_checkov_has_no_unaccepted_finding(
    framework: str, checkov_scans: dict[str, Checkov]
) -> None:
    entries = ACCEPTED[framework] or []
    for entry in entries:
        assert entry.get("reason", "").strip(), f"{entry['check']} is accepted without a reason"
    findings = _findings(checkov_scans[framework].result())
    new = [f for f in findings if _accepted(*f, entries) is None]
    assert not new, "checkov findings not in infra/tests/checkov_accepted.yaml:\n" + "\n".join(
        f"  {c} {r} ({p})" for c, r, p in new
    )
    used = {id(_accepted(c, r, p, entries)) for c, r, p in findings}
    stale = [e["check"] for e in entries if id(e) not in used]
    assert not stale, f"accepted checkov findings that no longer occur (remove them): {stale}"
