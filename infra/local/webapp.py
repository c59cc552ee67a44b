"""Install and build the web app (frontend/) only when something changed.

    python infra/local/webapp.py install     # npm ci, unless node_modules matches the lock
    python infra/local/webapp.py build       # install, then `npm run build` unless dist is current

`npm ci` wipes node_modules and takes a minute on two cores, and a build takes several
seconds: `make dev`, `make test` (frontend/tests, e2e/test_web.py) all call these, so each
remembers what it was made from (a hash in node_modules/ and dist/) and skips the work
when nothing it depends on changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
INSTALL_STAMP = FRONTEND / "node_modules" / ".taskflow-lock.sha256"
BUILD_STAMP = FRONTEND / "dist" / ".taskflow-build.sha256"
#: Everything a build reads besides node_modules.
BUILD_INPUTS = (
    "src",
    "index.html",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "public",
)


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        raise RuntimeError("npm is not installed: run infra/local/ensure-tools.sh (Node 20)")
    return found


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                h.update(str(file.relative_to(FRONTEND)).encode())
                h.update(file.read_bytes())
    return h.hexdigest()


def install() -> None:
    """`npm ci` when node_modules was not installed from this exact lock file."""
    want = _digest([FRONTEND / "package-lock.json", FRONTEND / "package.json"])
    if INSTALL_STAMP.is_file() and INSTALL_STAMP.read_text() == want:
        return
    subprocess.run(  # noqa: S603 (our own argv)
        [npm(), "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FRONTEND, check=True
    )
    INSTALL_STAMP.write_text(want)


def build() -> Path:
    """Install, then build frontend/dist unless it was built from the same inputs."""
    install()
    want = _digest([FRONTEND / name for name in BUILD_INPUTS if (FRONTEND / name).exists()])
    if not (BUILD_STAMP.is_file() and BUILD_STAMP.read_text() == want):
        subprocess.run([npm(), "run", "build"], cwd=FRONTEND, check=True)  # noqa: S603
        BUILD_STAMP.write_text(want)
    return FRONTEND / "dist"


def main(argv: list[str]) -> int:
    if not (FRONTEND / "package.json").is_file():
        print("no frontend/package.json", file=sys.stderr)
        return 1
    command = argv[0] if argv else "build"
    if command == "install":
        install()
    elif command == "build":
        print(build())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
