"""The Dockerfiles: multi-stage, non-root, a healthcheck, an init as PID 1, and nothing they
COPY excluded by .dockerignore (a build that silently lacks its sources fails only later)."""

from __future__ import annotations

import re
import subprocess
from fnmatch import fnmatch
from pathlib import Path

import pytest

from .conftest import ROOT

DOCKERFILES = [ROOT / "Dockerfile", ROOT / "gateway" / "Dockerfile"]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins and `!` re-includes; a pattern matches a
    path or any folder above it; `**/name` matches `name` at any depth."""
    result = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.removeprefix("!")
        if pattern.startswith("**/"):
            name = pattern.removeprefix("**/")
            hit = any(fnmatch(p.rsplit("/", 1)[-1], name) for p in prefixes)
        else:
            hit = any(fnmatch(p, pattern) for p in prefixes)
        if hit:
            result = not negate
    return result


def _patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_shape(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) >= 2, "multi-stage: build tools stay out of the runtime image"
    assert all(":" in s and not s.endswith(":latest") for s in stages), stages
    runtime = text.rsplit("\nFROM ", 1)[1]
    user = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    assert user, "the runtime stage sets a USER"
    assert user[-1].isdigit(), "a numeric user (Kubernetes' runAsNonRoot can check it)"
    assert int(user[-1]) >= 10000, "a uid no host account has"
    assert "HEALTHCHECK" in runtime
    assert '"/usr/bin/tini", "--"' in runtime, "tini forwards SIGTERM and reaps children"


def test_gateway_builds_the_web_app() -> None:
    """frontend/ exists: the image builds it from its lock file, always (no placeholder)."""
    text = (ROOT / "gateway" / "Dockerfile").read_text()
    spa = text.split(" AS spa", 1)[1].split("\nFROM ", 1)[0]
    assert "COPY frontend/package.json frontend/package-lock.json ./" in spa
    assert "RUN npm ci" in spa
    assert "COPY frontend/ ./" in spa
    assert "npm run build" in spa
    assert "placeholder" not in spa, "a missing web app must fail the build, not ship a stub"
    assert "COPY --from=spa /src/frontend/dist /srv/spa" in text
    assert "ENV SPA_ROOT=/srv/spa" in text


def test_the_web_apps_sources_reach_the_build() -> None:
    """Every committed file `npm run build` reads (tsc -b, then vite) is in the build context."""
    tracked = subprocess.run(
        ["git", "ls-files", "frontend"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # The Python test that drives npm and the README are not part of the build.
    needed = [f for f in tracked if not f.startswith("frontend/tests/") and not f.endswith(".md")]
    assert "frontend/src/main.tsx" in needed
    assert "frontend/package-lock.json" in needed
    patterns = _patterns()
    ignored = [f for f in needed if _ignored(f, patterns)]
    assert not ignored, f".dockerignore keeps these from the gateway's SPA build: {ignored}"


def test_nothing_copied_is_docker_ignored() -> None:
    patterns = _patterns()
    sources = []
    for dockerfile in DOCKERFILES:
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY ") and "--from=" not in line:
                sources += [s for s in line.split()[1:-1] if not s.startswith("--")]
    assert sources
    for source in sources:
        for path in ROOT.glob(source):
            rel = str(path.relative_to(ROOT))
            assert not _ignored(rel, patterns), f"{rel} is COPYed but .dockerignore excludes it"
    # And what must stay out, does.
    for secret in (".env", ".git", ".dev/tools", "frontend/node_modules", "services/x/.venv"):
        assert _ignored(secret, patterns), secret
