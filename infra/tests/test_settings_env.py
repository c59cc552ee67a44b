"""Every environment variable compose and the chart set is one a service reads: a settings
field of that service (by its prefix), or a placeholder of the gateway's templates. And the
values parse: each service's Settings is built from exactly the environment it would get."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from taskflow.common.settings import ServiceSettings

from .conftest import ROOT, Rendered

PYTHON_SERVICES = ["auth", "tasks", "notifications", "audit", "reporting"]

#: Read outside the Settings classes, each by the named file (checked below).
READ_ELSEWHERE = {
    "AUTH_ADMIN_PASSWORD": "services/auth/src/taskflow/auth/cli.py",
}


def _settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"taskflow.{service}.config")
    cls: type[ServiceSettings] = module.Settings
    return cls


def _gateway_names() -> set[str]:
    spec = importlib.util.spec_from_file_location("gateway_render", ROOT / "gateway/render.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.DEFAULTS) | set(module.READS_ALSO)


def _unread(service: str, names: set[str]) -> list[str]:
    """Names in `names` that the service does not read."""
    if service == "gateway":
        return sorted(names - _gateway_names())
    cls = _settings_class(service)
    prefix = str(cls.model_config["env_prefix"])
    unread = []
    for name in names:
        if name in READ_ELSEWHERE:
            assert name in (ROOT / READ_ELSEWHERE[name]).read_text()
            continue
        field = name.removeprefix(prefix).lower()
        if not name.startswith(prefix) or field not in cls.model_fields:
            unread.append(name)
    return sorted(unread)


def _build(service: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    """The service's settings from exactly `env` (nothing from the test process leaks in)."""
    cls = _settings_class(service)
    prefix = str(cls.model_config["env_prefix"])
    with monkeypatch.context() as m:
        import os

        for key in list(os.environ):
            if key.startswith(prefix):
                m.delenv(key)
        for key, value in env.items():
            m.setenv(key, value)
        return cls()


def test_compose_sets_only_what_services_read(
    compose_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = set()
    for name, svc in compose_config["services"].items():
        build = svc.get("build")
        if not build:
            continue  # third-party images (postgres, mailpit, ...) read their own variables
        service = (build.get("args") or {}).get("SERVICE", "gateway")
        env = {k: v for k, v in (svc.get("environment") or {}).items() if v is not None}
        assert not _unread(service, set(env)), f"{name} sets variables nobody reads"
        if service != "gateway":
            settings = _build(service, env, monkeypatch)
            assert settings.environment == "development"
            assert settings.host == "0.0.0.0"
            assert settings.port == 8000
        checked.add(service)
    assert checked == {*PYTHON_SERVICES, "gateway"}


def _chart_env(rendered: Rendered) -> dict[str, dict[str, str]]:
    """Per service: every variable its pods get (ConfigMap, literal env, Secret keys)."""
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in rendered.kind("ConfigMap")}
    secrets: dict[str, str] = {}
    for s in rendered.kind("Secret"):
        secrets.update(s.get("stringData", {}))
    out: dict[str, dict[str, str]] = {}
    for doc in rendered.kind("Deployment") + rendered.kind("Job"):
        for c in doc["spec"]["template"]["spec"]["containers"]:
            service = c["image"].rsplit("/", 1)[-1].split(":")[0].removeprefix("taskflow-")
            env = out.setdefault(service, {})
            for ref in c.get("envFrom", []):
                env.update(configmaps[ref["configMapRef"]["name"]])
            for var in c.get("env", []):
                if "value" in var:
                    env[var["name"]] = var["value"]
                else:
                    key = var["valueFrom"]["secretKeyRef"]["key"]
                    env[var["name"]] = secrets.get(key, "from-existing-secret")
    return out


@pytest.mark.parametrize("variant", ["dev", "staging", "production"])
def test_chart_sets_only_what_services_read(variant: str, rendered: dict[str, Rendered]) -> None:
    env = _chart_env(rendered[variant])
    assert set(env) == {*PYTHON_SERVICES, "gateway"}
    for service, values in env.items():
        assert not _unread(service, set(values)), f"{variant}: {service} gets unread variables"


def test_dev_chart_values_parse(
    rendered: dict[str, Rendered], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The development values build every service's settings (types, URLs, the KEK)."""
    for service, values in _chart_env(rendered["dev"]).items():
        if service == "gateway":
            continue
        settings = _build(service, values, monkeypatch)
        assert settings.environment == "development"


def test_chart_secret_keys_are_what_terraform_stores(rendered: dict[str, Rendered]) -> None:
    """The Secrets Manager secret (terraform) holds exactly the keys the chart takes from it."""
    tf = (ROOT / "terraform/modules/secrets/main.tf").read_text()
    block = tf.split("secret_string = jsonencode({", 1)[1].split("})", 1)[0]
    stored = {line.split("=")[0].strip() for line in block.splitlines() if "=" in line}
    taken: set[str] = set()
    for doc in rendered["production"].kind("Deployment") + rendered["production"].kind("Job"):
        for c in doc["spec"]["template"]["spec"]["containers"]:
            taken |= {v["name"] for v in c.get("env", []) if "valueFrom" in v}
    assert stored == taken


def test_env_example_names_are_documented_settings() -> None:
    """A prefixed name in .env.example is a real setting (a typo there is silently ignored)."""
    from dotenv import dotenv_values

    for name in dotenv_values(Path(ROOT / ".env.example")):
        for service in PYTHON_SERVICES:
            if name.startswith(service.upper() + "_") and not name.endswith("_UPSTREAM"):
                assert not _unread(service, {name}), name
