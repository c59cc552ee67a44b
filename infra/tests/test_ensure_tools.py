"""infra/local/ensure-tools.sh on a CI runner: GitHub's Ubuntu image has Google Chrome and no
/usr/bin/chromium, and the runner is not root, so `make test` (which runs this script) must take
the browser that TASKFLOW_CHROMIUM names instead of asking for Debian's chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "infra/local/ensure-tools.sh"


@pytest.fixture
def bare_path(tmp_path: Path) -> str:
    """bash, python3 and a stand-in nginx and node: no apt-get, so nothing can be installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "python3", "id", "node"):
        found = shutil.which(name)
        assert found is not None, name
        (bin_dir / name).symlink_to(found)
    nginx = bin_dir / "nginx"
    nginx.write_text("#!/bin/sh\nexit 0\n")
    nginx.chmod(0o755)
    return str(bin_dir)


def _run(path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **env},
    )


def test_the_browser_ci_names_is_taken(bare_path: str, tmp_path: Path) -> None:
    chrome = tmp_path / "google-chrome"
    chrome.write_text("#!/bin/sh\nexit 0\n")
    chrome.chmod(0o755)
    proc = _run(bare_path, TASKFLOW_CHROMIUM=str(chrome))
    assert proc.returncode == 0, proc.stderr
    assert "chromium" not in proc.stderr


def test_a_named_browser_that_is_missing_fails(bare_path: str, tmp_path: Path) -> None:
    """Not silently Debian's chromium instead: the e2e tests would launch the named one."""
    proc = _run(bare_path, TASKFLOW_CHROMIUM=str(tmp_path / "no-such-browser"))
    assert proc.returncode != 0
    assert "TASKFLOW_CHROMIUM" in proc.stderr
