"""Fixtures of the delivery checks: the tools of infra/local/ensure-deploy-tools.sh, the chart
rendered for each values file, and the checkov scans started early (they are the slow part).

Nothing here skips: a missing tool fails its test with the command that installs it, so CI
cannot pass with a check that did not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "taskflow"
TOOLS = Path(os.environ.get("TASKFLOW_TOOLS_DIR", ROOT / ".dev" / "tools"))
INSTALL_HINT = "run infra/local/ensure-deploy-tools.sh (make test runs it)"

#: values files layered per rendering, as the deploy workflow layers them.
VARIANTS: dict[str, list[str]] = {
    "dev": ["values-dev.yaml"],
    "staging": ["values-production.yaml", "values-staging.yaml"],
    "production": ["values-production.yaml"],
}


def tool(name: str) -> str:
    """Path of an installed tool, or a test failure that says how to install it."""
    path = TOOLS / "bin" / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {TOOLS / 'bin'}: {INSTALL_HINT}")
    return str(path)


def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a tool, capturing its output as text (the caller asserts on the result)."""
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


def helm_env() -> dict[str, str]:
    """Helm keeps its cache and config in the project, never in the user's home."""
    home = TOOLS / "helm-home"
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def values_args(variant: str) -> list[str]:
    args: list[str] = []
    for name in VARIANTS[variant]:
        args += ["-f", str(CHART / name)]
    return args


@dataclass
class Rendered:
    """The chart rendered for one values variant."""

    path: Path
    docs: list[dict[str, Any]] = field(default_factory=list)

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]


@dataclass
class Checkov:
    """One checkov scan running in the background; `result()` waits for its JSON."""

    name: str
    proc: subprocess.Popen[str]

    def result(self) -> list[dict[str, Any]]:
        out, err = self.proc.communicate(timeout=840)
        if self.proc.returncode not in (0, 1):
            pytest.fail(f"checkov ({self.name}) crashed: {err[-2000:]}")
        data = json.loads(out)
        return data if isinstance(data, list) else [data]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """`helm template` for every variant (fails the test when helm fails)."""
    helm = tool("helm")
    out_dir = tmp_path_factory.mktemp("rendered")
    result: dict[str, Rendered] = {}
    for variant in VARIANTS:
        proc = run(
            [helm, "template", "tf", str(CHART), "--namespace", "taskflow", *values_args(variant)],
            env=helm_env(),
        )
        assert proc.returncode == 0, f"helm template ({variant}) failed:\n{proc.stderr}"
        path = out_dir / f"{variant}.yaml"
        path.write_text(proc.stdout)
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
        result[variant] = Rendered(path=path, docs=docs)
    return result


@pytest.fixture(scope="session")
def checkov_scans(rendered: dict[str, Rendered]) -> Iterator[dict[str, Checkov]]:
    """Start the three checkov scans in parallel; the tests collect them when they need them."""
    checkov = tool("checkov")
    # dev and production: staging is production with other sizes and names.
    chart_dir = rendered["dev"].path.parent / "checkov"
    chart_dir.mkdir(exist_ok=True)
    for variant in ("dev", "production"):
        (chart_dir / f"{variant}.yaml").write_text(rendered[variant].path.read_text())
    common = ["--skip-download", "--compact", "--quiet", "-o", "json"]
    env = {**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "LOG_LEVEL": "ERROR"}
    scans = {
        "terraform": [checkov, "-d", str(ROOT / "terraform"), "--framework", "terraform"],
        "kubernetes": [checkov, "-d", str(chart_dir), "--framework", "kubernetes"],
        "dockerfile": [
            checkov,
            "-f",
            str(ROOT / "Dockerfile"),
            "-f",
            str(ROOT / "gateway" / "Dockerfile"),
            "--framework",
            "dockerfile",
        ],
    }
    running = {
        name: Checkov(
            name,
            subprocess.Popen(
                [*args, *common], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            ),
        )
        for name, args in scans.items()
    }
    yield running
    for scan in running.values():
        if scan.proc.poll() is None:
            scan.proc.kill()
            scan.proc.communicate()


@pytest.fixture(scope="session")
def compose_config() -> dict[str, Any]:
    """`docker compose config` of docker-compose.yml with .env.example, as JSON."""
    compose = tool("docker-compose")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    proc = run(
        [
            compose,
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(ROOT / ".env.example"),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "config",
            "--format",
            "json",
        ],
        env=env,
    )
    assert proc.returncode == 0, f"docker compose config failed:\n{proc.stderr}"
    config: dict[str, Any] = json.loads(proc.stdout)
    return config


def npx() -> str:
    path = shutil.which("npx")
    if path is None:
        pytest.fail("npx (Node.js) is missing: sudo apt-get install -y nodejs npm")
    return path
