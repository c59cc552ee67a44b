"""helm/taskflow: lint, render, validate against the Kubernetes 1.31 schemas, and the
properties the issue asks of it (probes, restricted pods, hooks, scaling, network policy)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CHART, VARIANTS, Rendered, helm_env, run, tool, values_args

SERVICES = ["auth", "tasks", "notifications", "audit", "reporting"]
CRD_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_helm_lint_strict(variant: str) -> None:
    proc = run(
        [tool("helm"), "lint", "--strict", str(CHART), *values_args(variant)], env=helm_env()
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_schema_refuses_bad_values() -> None:
    """values.schema.json is enforced: a zero api process count and an unknown key fail."""
    for bad in ("services.tasks.api.workers=0", "services.tasks.api.replicaz=2"):
        proc = run(
            [tool("helm"), "lint", "--strict", str(CHART), *values_args("dev"), "--set", bad],
            env=helm_env(),
        )
        assert proc.returncode != 0, f"--set {bad} was accepted"


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_chart_is_valid_kubernetes(variant: str, rendered: dict[str, Rendered]) -> None:
    out = rendered[variant]
    proc = run([tool("kubernetes-validate"), "--strict", "-k", "1.31", "--quiet", str(out.path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # kubernetes-validate has no schema for the Prometheus operator's kinds: check those here.
    for doc in out.docs:
        if doc["kind"] in CRD_KINDS:
            assert doc["apiVersion"] == "monitoring.coreos.com/v1"
            assert doc["spec"], doc["metadata"]["name"]


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_deployment_per_api_and_worker_and_the_gateway(
    variant: str, rendered: dict[str, Rendered]
) -> None:
    components = {
        d["metadata"]["labels"]["app.kubernetes.io/component"]
        for d in rendered[variant].kind("Deployment")
    }
    expected = {*SERVICES, *(f"{s}-worker" for s in SERVICES), "tasks-webhooks", "gateway"}
    assert components == expected


@pytest.mark.parametrize("variant", VARIANTS)
def test_pods_are_restricted(variant: str, rendered: dict[str, Rendered]) -> None:
    out = rendered[variant]
    for doc in out.kind("Deployment") + out.kind("Job"):
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"]
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, doc["metadata"]["name"]
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"]
            assert c["resources"]["limits"]
            assert c["resources"]["requests"]
            # Read-only root: /tmp is the one writable place the images need.
            assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]


def test_apis_have_probes_and_the_process_count_from_values(
    rendered: dict[str, Rendered],
) -> None:
    out = rendered["production"]
    for doc in out.kind("Deployment"):
        component = doc["metadata"]["labels"]["app.kubernetes.io/component"]
        (c,) = _containers(doc)
        if component in SERVICES:
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert c["args"] == ["api", "--workers", "2"]
        elif component.endswith("-worker"):
            assert c["args"] == ["worker"]
        elif component == "tasks-webhooks":
            assert c["args"] == ["webhooks"]
    dev_tasks = next(
        d
        for d in rendered["dev"].kind("Deployment")
        if d["metadata"]["name"] == "tf-taskflow-tasks"
    )
    assert _containers(dev_tasks)[0]["args"] == ["api", "--workers", "1"]


def test_each_service_gets_only_its_own_secrets(rendered: dict[str, Rendered]) -> None:
    for doc in rendered["production"].kind("Deployment") + rendered["production"].kind("Job"):
        (c,) = _containers(doc)
        image = c["image"].rsplit("/", 1)[-1].split(":")[0].removeprefix("taskflow-")
        for env in c.get("env", []):
            if "valueFrom" in env:
                assert env["name"].startswith(image.upper() + "_"), (doc["metadata"]["name"], env)
                assert env["valueFrom"]["secretKeyRef"]["name"] == "taskflow-app"


def test_migrations_run_as_hooks_before_install_and_upgrade(rendered: dict[str, Rendered]) -> None:
    jobs = rendered["production"].kind("Job")
    assert {j["metadata"]["name"] for j in jobs} == {f"tf-taskflow-{s}-migrate" for s in SERVICES}
    for job in jobs:
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert _containers(job)[0]["args"] == ["migrate"]
    # Whatever a hook Job needs must exist before it: a hook itself, with a lower weight.
    for variant in ("dev", "production"):
        for doc in rendered[variant].docs:
            if doc["kind"] in {"ServiceAccount", "Secret"}:
                annotations = doc["metadata"]["annotations"]
                assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
                assert int(annotations["helm.sh/hook-weight"]) < 0


def test_scaling_and_disruption_budgets(rendered: dict[str, Rendered]) -> None:
    out = rendered["production"]
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in out.kind("HorizontalPodAutoscaler")}
    assert hpas == {f"tf-taskflow-{s}" for s in [*SERVICES, "gateway"]}
    pdbs = {p["metadata"]["name"] for p in out.kind("PodDisruptionBudget")}
    assert {f"tf-taskflow-{s}" for s in [*SERVICES, "gateway"]} <= pdbs
    # An HPA owns the replica count: the Deployment must not fight it on every upgrade.
    for d in out.kind("Deployment"):
        if d["metadata"]["name"] in hpas:
            assert "replicas" not in d["spec"]


def test_ingress_has_tls_and_websocket_timeouts(rendered: dict[str, Rendered]) -> None:
    (ing,) = rendered["production"].kind("Ingress")
    assert ing["spec"]["tls"][0]["hosts"] == ["taskflow.example.com"]
    assert (
        int(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"])
        >= 3600
    )
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "tf-taskflow-gateway"


def test_network_policies_deny_by_default(rendered: dict[str, Rendered]) -> None:
    policies = {p["metadata"]["name"]: p for p in rendered["production"].kind("NetworkPolicy")}
    deny = policies["tf-taskflow-default-deny"]
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny["spec"]  # no ingress rule at all: nothing comes in by default
    # Only the ingress controller reaches the gateway, only the gateway (and Prometheus) the apis.
    gateway_from = policies["tf-taskflow-gateway"]["spec"]["ingress"][0]["from"]
    assert gateway_from == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    # Webhooks and CalDAV go to public addresses only, and only from notifications.
    notif = policies["tf-taskflow-notifications-egress"]["spec"]
    https = next(r for r in notif["egress"] if r["ports"] == [{"port": 443, "protocol": "TCP"}])
    assert "10.0.0.0/8" in https["to"][0]["ipBlock"]["except"]
    assert "169.254.0.0/16" in https["to"][0]["ipBlock"]["except"]


def test_alerts_cover_what_the_runbook_explains(rendered: dict[str, Rendered]) -> None:
    from .conftest import ROOT

    (rule,) = rendered["production"].kind("PrometheusRule")
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]]
    assert {
        "TaskflowOutboxLag",
        "TaskflowEventsParked",
        "TaskflowBreakerOpen",
        "TaskflowHigh5xxRate",
    } <= set(alerts)
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for alert in alerts:
        assert f"### {alert}" in runbook, f"docs/operations.md does not explain {alert}"


def test_workers_are_scraped_on_their_metrics_port(rendered: dict[str, Rendered]) -> None:
    """Each worker serves the relay/consumer/breaker metrics on a named port its settings read;
    a PodMonitor scrapes that port and the NetworkPolicy lets (only) Prometheus reach it."""
    out = rendered["production"]
    workers = [
        d for d in out.kind("Deployment") if d["spec"]["template"]["metadata"]["labels"]
        .get("taskflow.io/role") == "worker"
    ]  # fmt: skip
    assert len(workers) == len(SERVICES) + 1  # the tasks webhook sender too
    for doc in workers:
        (c,) = _containers(doc)
        assert c["ports"] == [{"name": "metrics", "containerPort": 9100, "protocol": "TCP"}]
        service = doc["metadata"]["labels"]["app.kubernetes.io/component"].split("-")[0]
        assert {"name": f"{service.upper()}_METRICS_PORT", "value": "9100"} in c["env"]
    (pm,) = out.kind("PodMonitor")
    assert pm["spec"]["selector"]["matchLabels"]["taskflow.io/role"] == "worker"
    assert pm["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    policies = {p["metadata"]["name"]: p for p in out.kind("NetworkPolicy")}
    (rule,) = policies["tf-taskflow-workers"]["spec"]["ingress"]
    assert rule["ports"] == [{"port": 9100, "protocol": "TCP"}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ]


#: Labels Prometheus adds to every series it scrapes (the ServiceMonitor adds `service`).
TARGET_LABELS = {"service", "namespace", "pod", "container", "endpoint", "job", "instance"}


def _exported_metrics() -> dict[str, set[str]]:
    """Every series name the services export, with its label names (from the metric objects
    themselves, so a renamed metric or label shows up here)."""
    from prometheus_client.metrics import MetricWrapperBase

    import taskflow.common.breaker as breaker
    import taskflow.events.metrics as events
    from taskflow.common.metrics import HttpMetrics

    http = HttpMetrics()
    objects = [*vars(events).values(), *vars(breaker).values(), http.requests, http.latency]
    out: dict[str, set[str]] = {}
    for obj in objects:
        if isinstance(obj, MetricWrapperBase):
            name = obj._name + ("_total" if obj._type == "counter" else "")
            out[name] = set(obj._labelnames)
    return out


def test_alerts_read_metrics_the_services_export(rendered: dict[str, Rendered]) -> None:
    """An alert on a metric nobody exports (or grouped by a label it lacks) never fires."""
    import re

    exported = _exported_metrics()
    (rule,) = rendered["production"].kind("PrometheusRule")
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            expr = r["expr"]
            names = re.findall(r"\b(taskflow_\w+|http_\w+)\b", expr)
            assert names, r["alert"]
            labels: set[str] = set()
            for name in names:
                assert name in exported, f"{r['alert']}: {name} is exported by no service"
                labels |= exported[name]
            grouped = {
                g.strip() for by in re.findall(r"by \(([^)]*)\)", expr) for g in by.split(",")
            }
            matched = set(re.findall(r"(\w+)=~?\"", expr))
            unknown = (grouped | matched) - labels - TARGET_LABELS
            assert not unknown, f"{r['alert']}: labels {unknown} are on none of {names}"


def test_readme_explains_every_top_level_value() -> None:
    """The chart README's table names each top-level key of values.yaml (a new knob that
    nobody documents is a knob nobody turns)."""
    import re

    import yaml

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()
    missing = [k for k in values if not re.search(rf"`{re.escape(k)}[.`]", readme)]
    assert not missing, f"helm/taskflow/README.md does not mention {missing}"
