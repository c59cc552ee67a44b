"""The chart's NetworkPolicies, evaluated: who may talk to whom, by the Kubernetes rules (a pod
selected by a policy of a direction is isolated in it; a connection needs an egress allowance
at its source and an ingress allowance at its destination pod). Every flow the architecture
needs is allowed and the flows it does not need are not (docs/architecture.md)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from .conftest import CHART, Rendered

NS = "taskflow"
#: An address in values-production.yaml's networkPolicy.dataStoreCidrs (the VPC).
DATA_STORE = str(
    next(
        ipaddress.ip_network(
            yaml.safe_load((CHART / "values-production.yaml").read_text())["networkPolicy"][
                "dataStoreCidrs"
            ][0]
        ).hosts()
    )
)
PUBLIC = "203.0.113.10"  # an SMTP relay, CalDAV server or webhook receiver
PRIVATE = "10.1.2.3"  # another private address: never a webhook target
METADATA = "169.254.169.254"  # the cloud's instance metadata service


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: dict[str, str] = field(hash=False)
    name: str = ""


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels[key] in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _peer_matches(peer: dict[str, Any], policy_ns: str, target: Pod | str) -> bool:
    if isinstance(target, str):  # an IP address outside the cluster
        block = peer.get("ipBlock")
        if block is None:
            return False
        ip = ipaddress.ip_address(target)
        if ip not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if "ipBlock" in peer:
        return False
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ns_sel is None:
        in_ns = target.namespace == policy_ns
    else:
        in_ns = _selects(ns_sel, {"kubernetes.io/metadata.name": target.namespace})
    return in_ns and _selects(pod_sel or {}, target.labels)


def _port_ok(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in ports)


class Cluster:
    def __init__(self, policies: list[dict[str, Any]]) -> None:
        self.policies = policies

    def _allowed(self, pod: Pod, direction: str, other: Pod | str, port: int, proto: str) -> bool:
        key = "ingress" if direction == "Ingress" else "egress"
        peers_key = "from" if key == "ingress" else "to"
        isolating = [
            p
            for p in self.policies
            if p["metadata"]["namespace"] == pod.namespace
            and direction in p["spec"]["policyTypes"]
            and _selects(p["spec"]["podSelector"], pod.labels)
        ]
        if not isolating:
            return True
        for policy in isolating:
            for rule in policy["spec"].get(key) or []:
                peers = rule.get(peers_key)
                ns = policy["metadata"]["namespace"]
                if (not peers or any(_peer_matches(x, ns, other) for x in peers)) and _port_ok(
                    rule, port, proto
                ):
                    return True
        return False

    def can(self, src: Pod, dst: Pod | str, port: int, proto: str = "TCP") -> bool:
        if src.namespace == NS and not self._allowed(src, "Egress", dst, port, proto):
            return False
        if isinstance(dst, Pod) and dst.namespace == NS:
            return self._allowed(dst, "Ingress", src, port, proto)
        return True


@pytest.fixture(scope="module")
def cluster(rendered: dict[str, Rendered]) -> tuple[Cluster, dict[str, Pod]]:
    out = rendered["production"]
    pods = {}
    for doc in out.kind("Deployment") + out.kind("Job"):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        name = labels.get("app.kubernetes.io/component", doc["metadata"]["name"])
        if doc["kind"] == "Job":
            name = doc["metadata"]["name"].removeprefix("tf-taskflow-")
        pods[name] = Pod(NS, labels, name)
    pods["ingress-controller"] = Pod("ingress-nginx", {"app": "ingress-nginx"})
    pods["prometheus"] = Pod("monitoring", {"app": "prometheus"})
    pods["stranger"] = Pod("default", {"app": "anything"})
    pods["kube-dns"] = Pod("kube-system", {"k8s-app": "kube-dns"})
    return Cluster(out.kind("NetworkPolicy")), pods


SERVICES = ["auth", "tasks", "notifications", "audit", "reporting"]
WORKERS = [f"{s}-worker" for s in SERVICES] + ["tasks-webhooks"]
MIGRATIONS = [f"{s}-migrate" for s in SERVICES]


def test_the_flows_the_architecture_needs_are_allowed(
    cluster: tuple[Cluster, dict[str, Pod]],
) -> None:
    c, pods = cluster
    assert set(SERVICES + WORKERS + MIGRATIONS + ["gateway"]) <= set(pods)
    assert c.can(pods["ingress-controller"], pods["gateway"], 8080)
    for s in SERVICES:
        assert c.can(pods["gateway"], pods[s], 8000), f"gateway -> {s}"
        assert c.can(pods["prometheus"], pods[s], 8000), f"prometheus -> {s} /metrics"
        assert c.can(pods[s], pods["auth"], 8000), f"{s} -> auth (JWKS)"
    for w in WORKERS:
        assert c.can(pods["prometheus"], pods[w], 9100), f"prometheus -> {w}"
    for p in SERVICES + WORKERS + MIGRATIONS:
        for port in (5432, 5671, 6379):  # PostgreSQL, AMQPS (Amazon MQ), Redis (TLS)
            assert c.can(pods[p], DATA_STORE, port), f"{p} -> data stores :{port}"
    for p in SERVICES + WORKERS + MIGRATIONS + ["gateway"]:
        assert c.can(pods[p], pods["kube-dns"], 53, "UDP"), f"{p} -> DNS"
    for port in (587, 443):  # SMTP relay, CalDAV
        assert c.can(pods["notifications-worker"], PUBLIC, port)
    assert c.can(pods["tasks-webhooks"], PUBLIC, 443)


def test_nothing_else_is(cluster: tuple[Cluster, dict[str, Pod]]) -> None:
    c, pods = cluster
    # From outside: only the ingress controller, only to the gateway.
    for target, port in [("gateway", 8080), ("auth", 8000), ("tasks", 8000)]:
        assert not c.can(pods["stranger"], pods[target], port), f"other namespace -> {target}"
    assert not c.can(pods["ingress-controller"], pods["tasks"], 8000), "around the gateway"
    assert not c.can(pods["ingress-controller"], pods["tasks-worker"], 9100)
    # The gateway proxies to the apis and nothing else.
    assert not c.can(pods["gateway"], DATA_STORE, 5432)
    assert not c.can(pods["gateway"], pods["tasks-worker"], 9100)
    assert not c.can(pods["gateway"], PUBLIC, 443)
    # No service calls another's api except auth's.
    for src in SERVICES + WORKERS:
        for dst in SERVICES:
            if dst != "auth" and src.split("-")[0] != dst:
                assert not c.can(pods[src], pods[dst], 8000), f"{src} -> {dst}"
    # Only notifications and the webhook sender leave the VPC, and never to private ranges
    # or the metadata service (the SSRF guard's second wall).
    for p in SERVICES + WORKERS + MIGRATIONS:
        if p not in ("notifications", "notifications-worker", "tasks-webhooks"):
            assert not c.can(pods[p], PUBLIC, 443), f"{p} -> internet"
            assert not c.can(pods[p], PUBLIC, 587), f"{p} -> SMTP"
        assert not c.can(pods[p], METADATA, 80), f"{p} -> instance metadata"
        assert not c.can(pods[p], PRIVATE, 443), f"{p} -> a private address"
    assert not c.can(pods["tasks-webhooks"], PUBLIC, 587), "the webhook sender sends no mail"
    # DNS goes to the cluster's resolver, not anywhere on port 53.
    assert not c.can(pods["tasks"], "8.8.8.8", 53, "UDP")


def test_each_wall_holds_on_its_own(cluster: tuple[Cluster, dict[str, Pod]]) -> None:
    """Ingress and egress policies both stop a lateral call: either alone still does (a
    pod started with other labels, or a policy edited by hand, meets the other wall)."""
    c, pods = cluster
    for dst in SERVICES:
        if dst == "auth":
            continue
        callers = {
            name for name, pod in pods.items() if c._allowed(pods[dst], "Ingress", pod, 8000, "TCP")
        }
        assert callers == {"gateway", "prometheus"}, f"{dst} accepts {callers}"
    for src in WORKERS + MIGRATIONS:
        reach = {d for d in SERVICES if c._allowed(pods[src], "Egress", pods[d], 8000, "TCP")}
        assert reach <= {"auth"}, f"{src} may call {reach}"


def test_webhook_receivers_on_other_ports_can_be_allowed() -> None:
    """`networkPolicy.webhookPorts` opens the sender (and only it) to receivers on :8443."""
    from .conftest import helm_env, run, tool, values_args

    proc = run(
        [
            tool("helm"),
            "template",
            "tf",
            str(CHART),
            "--namespace",
            NS,
            *values_args("production"),
            "--set",
            "networkPolicy.webhookPorts={443,8443}",
        ],
        env=helm_env(),
    )
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    c = Cluster([d for d in docs if d["kind"] == "NetworkPolicy"])
    pods = {
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: Pod(
            NS, d["spec"]["template"]["metadata"]["labels"]
        )
        for d in docs
        if d["kind"] == "Deployment"
    }
    assert c.can(pods["tasks-webhooks"], PUBLIC, 8443)
    assert not c.can(pods["tasks-webhooks"], PRIVATE, 8443)
    assert not c.can(pods["notifications-worker"], PUBLIC, 8443)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_data_store_cidrs_are_the_environments_vpc(env: str) -> None:
    """The chart's data-store allowance is the VPC terraform builds for that environment
    (terraform output vpc_cidr): a stale one cuts every service off its database."""
    import re

    from .conftest import ROOT

    main = (ROOT / "terraform/envs" / env / "main.tf").read_text()
    (vpc,) = re.findall(r'vpc_cidr\s*=\s*"([^"]+)"', main)
    values = yaml.safe_load((CHART / f"values-{env}.yaml").read_text())
    assert values["networkPolicy"]["dataStoreCidrs"] == [vpc]
