"""docker-compose.yml: valid for Compose v2 and the Compose specification, the same processes
as the Procfile and the chart, and settings that reach the right containers."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from .conftest import ROOT, Rendered, run, tool

DATA_STORES = {"postgres", "redis", "rabbitmq"}
#: Procfile process -> the compose service that plays its part (a real server, not our image).
STAND_INS = {"mail": "mailpit", "calendar": "radicale"}
#: In Kubernetes mail and calendars are outside services (an SMTP relay, a CalDAV server).
OUTSIDE_KUBERNETES = {"mail", "calendar"}


def _procfile() -> dict[str, str]:
    out = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            out[name.strip()] = command.strip()
    return out


def _long_running(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in config["services"].items() if s.get("restart") != "no"}


def _service_of(svc: dict[str, Any]) -> str | None:
    """The Python service an image is built for (None: not one of ours)."""
    build = svc.get("build")
    if not build:
        return None
    args: dict[str, str] = build.get("args") or {}
    return args.get("SERVICE") or "gateway"


def test_compose_config_is_valid() -> None:
    proc = run(
        [
            tool("docker-compose"),
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(ROOT / ".env.example"),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "config",
            "-q",
        ]
    )
    assert proc.returncode == 0, proc.stderr


def test_compose_matches_the_compose_specification() -> None:
    proc = run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ]
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_procfile_compose_and_chart_run_the_same_processes(
    compose_config: dict[str, Any], rendered: dict[str, Rendered]
) -> None:
    procfile = set(_procfile())
    compose = set(_long_running(compose_config)) - DATA_STORES
    expected_compose = {STAND_INS.get(p, p) for p in procfile}
    assert compose == expected_compose, "compose services vs Procfile processes differ"
    chart = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in rendered["production"].kind("Deployment")
    }
    assert chart == procfile - OUTSIDE_KUBERNETES, "chart Deployments vs Procfile differ"


def test_each_process_runs_the_command_the_procfile_runs(compose_config: dict[str, Any]) -> None:
    for name, command in _procfile().items():
        svc = compose_config["services"][STAND_INS.get(name, name)]
        service = _service_of(svc)
        if name in STAND_INS:
            assert service is None, f"{name} must be a real server image, not one of ours"
            continue
        if service == "gateway":
            assert command.startswith("nginx")
            continue
        # Procfile: `uv run --no-sync taskflow-<s> <sub>`; compose: the image's CLI + <sub>.
        sub = command.split(f"taskflow-{service} ", 1)[1].split()[0]
        assert svc["command"][0] == sub, name
        if sub == "api":
            assert svc["command"][1:] == ["--workers", "2"], "API_WORKERS must reach the api"


def test_every_service_migrates_before_it_starts(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    for name, svc in services.items():
        service = _service_of(svc)
        if service in (None, "gateway") or svc["command"][0] == "migrate":
            continue
        migrate = f"{service}-migrate"
        assert services[migrate]["command"] == ["migrate"]
        assert svc["depends_on"][migrate]["condition"] == "service_completed_successfully", name
        for store in DATA_STORES:
            assert svc["depends_on"][store]["condition"] == "service_healthy", name


def test_every_address_points_at_a_compose_service(compose_config: dict[str, Any]) -> None:
    """No container talks to 127.0.0.1 (itself) where another container is meant."""
    services = compose_config["services"]
    names = set(services)
    browser_facing = ("_PUBLIC_BASE_URL", "_SPA_BASE_URL")
    for name, svc in services.items():
        if _service_of(svc) is None:
            continue
        for key, value in (svc.get("environment") or {}).items():
            if key.endswith(browser_facing) or value is None:
                continue
            host = None
            if "://" in value:
                host = urlsplit(value).hostname
            elif key.endswith(("_SMTP_HOST", "_UPSTREAM")):
                host = value.split(":")[0]
            if host is not None:
                assert host in names, f"{name}: {key}={value} points at {host}, not a service"
    # The ones the issue found missing.
    env = {n: s.get("environment") or {} for n, s in services.items()}
    assert urlsplit(env["audit-migrate"]["AUDIT_MIGRATION_DATABASE_URL"]).hostname == "postgres"
    assert env["tasks"]["TASKS_AUTH_URL"] == "http://auth:8000"
    assert env["notifications-worker"]["NOTIFICATIONS_SMTP_HOST"] == "mailpit"
    assert urlsplit(env["notifications-worker"]["NOTIFICATIONS_CALDAV_URL"]).hostname == "radicale"


def test_mail_and_calendar_are_real_servers(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    assert services["mailpit"]["image"].startswith("axllent/mailpit:")
    assert services["radicale"]["image"].startswith("tomsquest/docker-radicale:")
    users = compose_config["configs"]["radicale-users"]["content"].strip()
    env = dotenv_values(ROOT / ".env.example")
    assert users == f"{env['CALDAV_USER']}:{env['CALDAV_PASSWORD']}"
    notif = services["notifications-worker"]["environment"]
    assert notif["NOTIFICATIONS_CALDAV_USERNAME"] == env["CALDAV_USER"]
    assert notif["NOTIFICATIONS_CALDAV_PASSWORD"] == env["CALDAV_PASSWORD"]


def test_broker_has_a_user_of_its_own(compose_config: dict[str, Any]) -> None:
    """The compose broker imports definitions at boot, so it creates no default user: the
    definitions must carry the user every service logs in as, with the password of .env."""
    base = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    defs = json.loads((ROOT / "infra/rabbitmq/compose-definitions.json").read_text())
    assert defs["exchanges"] == base["exchanges"]
    assert defs["policies"] == base["policies"]
    env = dotenv_values(ROOT / ".env.example")
    password = env["RABBITMQ_PASSWORD"]
    assert password is not None
    (user,) = defs["users"]
    assert user["name"] == env["RABBITMQ_USER"] != "guest"
    raw = base64.b64decode(user["password_hash"])
    salt, digest = raw[:4], raw[4:]
    assert user["hashing_algorithm"] == "rabbit_password_hashing_sha256"
    assert hashlib.sha256(salt + password.encode()).digest() == digest
    assert {p["user"] for p in defs["permissions"]} == {user["name"]}
    for name, svc in compose_config["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if key.endswith("_AMQP_URL"):
                url = urlsplit(value)
                assert (url.username, url.password) == (
                    env["RABBITMQ_USER"],
                    env["RABBITMQ_PASSWORD"],
                ), f"{name}: {key}"


def test_one_environment_switch_reaches_every_service(compose_config: dict[str, Any]) -> None:
    env = dotenv_values(ROOT / ".env.example")
    for name, svc in compose_config["services"].items():
        service = _service_of(svc)
        if service in (None, "gateway"):
            continue
        value = svc["environment"][f"{service.upper()}_ENVIRONMENT"]
        assert value == env["TASKFLOW_ENVIRONMENT"], name


def test_python_containers_are_locked_down(compose_config: dict[str, Any]) -> None:
    for name, svc in compose_config["services"].items():
        if _service_of(svc) is None:
            continue
        assert svc["read_only"] is True, name
        assert svc["cap_drop"] == ["ALL"], name
        assert "/tmp" in svc["tmpfs"], name


def test_env_example_sets_each_name_once() -> None:
    """A name set twice in .env takes its last value, silently: make dev and compose would
    then disagree with the line a reader finds first."""
    names = [
        line.split("=", 1)[0].strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    ]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f".env.example sets {twice} more than once"
