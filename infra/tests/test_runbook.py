"""docs/operations.md: a section with commands for every task the issue names, and each command
that names a part of Taskflow names a real one: a Deployment of the chart, a subcommand of that
service's CLI, an API path of its OpenAPI document, a values file of the chart."""

from __future__ import annotations

import contextlib
import io
import json
import re
from importlib.metadata import entry_points

import pytest

from .conftest import CHART, ROOT, Rendered

RUNBOOK = ROOT / "docs" / "operations.md"
TASKS = [
    "Install",
    "Upgrade",
    "Roll back",
    "Scale",
    "Rotate the signing key",
    "Replay parked events",
    "Verify the audit chain",
    "Back up and restore",
    "Alerts",
]
EXEC = re.compile(r"deploy/\$REL-([\w-]+)\s+--\s+taskflow\s+(\w[\w-]*)")


def _sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", RUNBOOK.read_text(), flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def _subcommands(service: str) -> set[str]:
    """The subcommands `taskflow-<service> --help` lists (argparse's {a,b,...})."""
    (ep,) = entry_points(group="console_scripts", name=f"taskflow-{service}")
    main = ep.load()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    choices = re.search(r"\{([\w,-]+)\}", out.getvalue())
    assert choices, out.getvalue()
    return set(choices.group(1).split(","))


@pytest.mark.parametrize("task", TASKS)
def test_the_runbook_has_commands_for(task: str) -> None:
    body = _sections().get(task)
    assert body is not None, f'docs/operations.md has no "## {task}" section'
    if task != "Alerts":
        assert re.search(r"\b(helm|kubectl|aws|curl|terraform|psql|pg_dump)\b", body), task


def test_exec_commands_name_real_deployments_and_subcommands(
    rendered: dict[str, Rendered],
) -> None:
    text = RUNBOOK.read_text()
    components = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in rendered["production"].kind("Deployment")
    }
    found = EXEC.findall(text)
    assert len(found) >= 4, found
    for component, command in found:
        assert component in components, f"deploy/$REL-{component}: no such Deployment"
        service = component.split("-")[0]
        assert command in _subcommands(service), f"taskflow-{service} has no `{command}`"


def test_api_paths_exist() -> None:
    paths: set[str] = set()
    for spec in ROOT.glob("services/*/openapi.json"):
        paths |= set(json.loads(spec.read_text())["paths"])
    used = set(re.findall(r"(/api/v1/[\w./{}-]+)", RUNBOOK.read_text()))
    assert used
    for path in used:
        assert path.rstrip(".") in paths, f"docs/operations.md uses {path}, which no service serves"


def test_values_files_exist() -> None:
    used = set(re.findall(r"helm/taskflow/([\w.-]+\.yaml)", RUNBOOK.read_text()))
    assert "values-production.yaml" in used
    for name in used:
        assert (CHART / name).exists(), name
