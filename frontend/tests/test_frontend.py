"""The web app's own checks, inside `make test`: generated API types current, Vitest, type
check and build, and the first screen's JavaScript budget.

Each runs the real tool (node, tsc, vitest, vite) and fails with its output when it fails.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
sys.path.insert(0, str(ROOT / "infra" / "local"))

import webapp as web  # noqa: E402  (infra/local/webapp.py)

#: The issue's budget for the JavaScript of the first screen, gzip.
FIRST_SCREEN_BUDGET = 250 * 1024


@pytest.fixture(scope="module")
def node_modules() -> None:
    web.install()


def _run(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(argv), cwd=FRONTEND, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(argv)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    )
    return result


@pytest.mark.timeout(300)
def test_generated_api_types_match_the_openapi_documents(node_modules: None) -> None:
    """A service that changed its routes without `make clients` fails here."""
    _run("node", "scripts/gen-api.mjs", "--check")


@pytest.mark.timeout(600)
def test_vitest(node_modules: None) -> None:
    result = _run("npx", "vitest", "run", "--reporter=dot", timeout=600)
    assert (
        re.search(r"Tests\s+\d+ passed", result.stdout.replace("\x1b", ""))
        or "passed" in result.stdout
    )


@pytest.mark.timeout(600)
def test_typecheck_build_and_first_screen_budget(node_modules: None) -> None:
    dist = web.build()
    index = (dist / "index.html").read_text()
    # The entry script, its preloaded chunks and the CSS are what the first screen loads.
    first = re.findall(r'(?:src|href)="/(assets/[^"]+\.(?:js|css))"', index)
    assert any(name.endswith(".js") for name in first), index
    size = sum(len(gzip.compress((dist / name).read_bytes(), 6)) for name in first)
    assert size < FIRST_SCREEN_BUDGET, f"first screen is {size} bytes gzip: {first}"
    # Screens are split out of the entry chunk.
    chunks = {p.name for p in (dist / "assets").glob("*.js")}
    assert any(n.startswith("BoardPage-") for n in chunks), chunks
    assert not any(n.startswith("BoardPage-") for n in (Path(f).name for f in first))
    # Recharts loads with the reports route only (its own lazy chunk), never on the first screen.
    assert any(n.startswith("ReportsPage-") for n in chunks), chunks
    assert not any("recharts-" in (dist / name).read_text() for name in first)
    # The auditors' and admins' screens are lazy chunks too: nobody else downloads them.
    first_names = [Path(f).name for f in first]
    for screen in ("AuditPage-", "UsersPage-", "LabelsPage-", "MilestonesPage-"):
        assert any(n.startswith(screen) for n in chunks), (screen, chunks)
        assert not any(n.startswith(screen) for n in first_names), (screen, first_names)
