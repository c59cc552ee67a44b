"""Generate a typed Python client per service from its committed OpenAPI document.

    python infra/local/clients.py                 # every services/*/openapi.json
    python infra/local/clients.py auth tasks      # only these

Each client lands in ``clients/python/<svc>/taskflow_<svc>_client`` (openapi-python-client with
``--meta none``: a bare package, no project files), so putting ``clients/python/<svc>`` on
``sys.path`` makes ``import taskflow_<svc>_client`` work. The generator calls ruff on its
output, so the virtualenv's ``bin`` goes on PATH first. A service whose document does not
generate makes the whole command fail: the end-to-end tests rely on that.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "clients" / "python"


def package_name(service: str) -> str:
    """The import name of a service's generated client."""
    return f"taskflow_{service}_client"


def available_services() -> list[str]:
    """Services that commit an OpenAPI document, in name order."""
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/openapi.json"))


def generate(service: str, *, quiet: bool = False) -> Path:
    """Generate one client; returns the folder to put on sys.path. Raises on failure."""
    spec = ROOT / "services" / service / "openapi.json"
    if not spec.is_file():
        raise FileNotFoundError(f"{spec} does not exist (run `make openapi`)")
    target = OUT / service
    package = target / package_name(service)
    target.mkdir(parents=True, exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    generator = shutil.which("openapi-python-client", path=env["PATH"])
    if generator is None:
        raise RuntimeError("openapi-python-client is not installed (uv sync --all-packages)")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.yml"
        # JSON is valid YAML, and needs no YAML library here.
        config.write_text(
            json.dumps(
                {
                    "package_name_override": package_name(service),
                    "project_name_override": f"taskflow-{service}-client",
                    "post_hooks": ["ruff check . --fix-only --quiet", "ruff format . --quiet"],
                }
            )
        )
        result = subprocess.run(  # noqa: S603 (our own argv, no shell)
            [
                generator,
                "generate",
                "--path",
                str(spec),
                "--output-path",
                str(package),
                "--overwrite",
                "--meta",
                "none",
                "--config",
                str(config),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0 or not (package / "__init__.py").is_file():
        raise RuntimeError(
            f"openapi-python-client failed for {service} (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    warnings = [line for line in result.stdout.splitlines() if "Warning" in line]
    if warnings and not quiet:
        print(f"{service}: generator warnings:\n" + result.stdout, file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="*", help="default: every service with openapi.json")
    args = parser.parse_args(argv)
    services = args.services or available_services()
    if not services:
        print("no services/*/openapi.json yet", file=sys.stderr)
        return 1
    failed = 0
    for service in services:
        try:
            target = generate(service)
        except (RuntimeError, FileNotFoundError) as exc:
            print(f"FAILED {service}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{service}: {(target / package_name(service)).relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
