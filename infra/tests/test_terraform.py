"""terraform/ as the issue asks for it, read with python-hcl2 (no provider is reachable, so no
plan): the data stores durable and encrypted, every module wired into the stack of both
environments, an ECR repository per image the workflow builds, and the IAM role for service
accounts trusting the ServiceAccount the chart actually creates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from .conftest import CHART, INSTALL_HINT, ROOT, TOOLS, helm_env, run, tool

TF = ROOT / "terraform"


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of strings and labels: drop them, recursively."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def tf() -> dict[str, dict[str, Any]]:
    """Every .tf file, parsed: {"modules/rds/main.tf": {...}}."""
    python = TOOLS / "hcl2" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"python-hcl2 is not installed in {python.parent.parent}: {INSTALL_HINT}")
    script = (
        "import json, sys, hcl2\n"
        "print(json.dumps({p: hcl2.load(open(p)) for p in sys.argv[1:]}, default=str))\n"
    )
    files = [str(p.relative_to(TF)) for p in sorted(TF.rglob("*.tf"))]
    proc = run([str(python), "-c", script, *files], cwd=TF)
    assert proc.returncode == 0, proc.stderr
    parsed: dict[str, dict[str, Any]] = _unquote(json.loads(proc.stdout))
    return parsed


def _blocks(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    """`resource "type" "name"` -> {"type.name": body}; `module "name"` -> {"name": body}."""
    out: dict[str, Any] = {}
    for entry in doc.get(kind, []):
        for label, body in entry.items():
            if kind in ("resource", "data"):
                for name, inner in body.items():
                    out[f"{label}.{name}"] = inner
            else:
                out[label] = body
    return out


def _default(doc: dict[str, Any], variable: str) -> Any:
    return _blocks(doc, "variable")[variable]["default"]


def test_postgres_is_multi_az_encrypted_backed_up_and_protected(tf: dict[str, Any]) -> None:
    rds = tf["modules/rds/main.tf"]
    db = _blocks(rds, "resource")["aws_db_instance.this"]
    assert db["engine"] == "postgres"
    assert db["multi_az"] is True
    assert db["storage_encrypted"] is True
    assert db["kms_key_id"]
    assert db["deletion_protection"] is True
    assert db["publicly_accessible"] is False
    assert db["backup_retention_period"] == "${var.backup_retention_days}"
    assert _default(rds, "backup_retention_days") >= 7


def test_broker_is_amazon_mq_rabbitmq_private_and_multi_az(tf: dict[str, Any]) -> None:
    mq = _blocks(tf["modules/mq/main.tf"], "resource")["aws_mq_broker.this"]
    assert mq["engine_type"] == "RabbitMQ"
    assert mq["deployment_mode"] == "CLUSTER_MULTI_AZ"
    assert mq["publicly_accessible"] is False


def test_redis_is_encrypted_in_transit_and_at_rest(tf: dict[str, Any]) -> None:
    redis = tf["modules/redis/main.tf"]
    group = _blocks(redis, "resource")["aws_elasticache_replication_group.this"]
    assert group["at_rest_encryption_enabled"] is True
    assert group["transit_encryption_enabled"] is True
    assert group["auth_token"]
    assert group["multi_az_enabled"] is True
    # In transit means TLS: the URLs the services get say rediss:// and amqps://.
    locals_ = tf["modules/secrets/main.tf"]["locals"][0]
    assert locals_["redis"].startswith("rediss://")
    assert "amqps://" in locals_["amqp"]
    assert "ssl=require" in locals_["db"]


def test_stack_wires_every_module_in_both_environments(tf: dict[str, Any]) -> None:
    modules = _blocks(tf["modules/stack/main.tf"], "module")
    sources = {body["source"] for body in modules.values()}
    want = {"network", "eks", "rds", "mq", "redis", "ecr", "secrets", "irsa", "kms"}
    assert {s.removeprefix("../") for s in sources} == want
    for env in ("staging", "production"):
        main = tf[f"envs/{env}/main.tf"]
        (stack,) = _blocks(main, "module").values()
        assert stack["source"] == "../../modules/stack"
        assert stack["environment"] == env
        (backend,) = main["terraform"][0]["backend"]
        s3 = backend["s3"]
        assert s3["key"] == f"{env}/terraform.tfstate"
        assert s3["encrypt"] is True
        assert s3["dynamodb_table"]


def test_a_repository_for_every_image_the_workflow_builds(tf: dict[str, Any]) -> None:
    images = yaml.safe_load((ROOT / ".github/workflows/images.yml").read_text())
    built = {f"taskflow-{i}" for i in images["jobs"]["build"]["strategy"]["matrix"]["image"]}
    ecr = tf["modules/ecr/main.tf"]
    assert set(_default(ecr, "images")) == built
    repo = _blocks(ecr, "resource")["aws_ecr_repository.this"]
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"][0]["scan_on_push"] is True


def test_irsa_trusts_the_service_account_the_deploy_creates(tf: dict[str, Any]) -> None:
    """The role's trust names namespace and ServiceAccount; the deploy workflow's release must
    create exactly that account, or every pod runs without the role."""
    stack = tf["modules/stack/main.tf"]
    role = _blocks(stack, "module")["app_role"]
    namespace = _default(stack, "namespace")
    deploy = (ROOT / ".github/workflows/deploy.yml").read_text()
    release = re.findall(r"helm upgrade --install (\S+) helm/taskflow --namespace (\S+)", deploy)
    assert release, "deploy.yml runs no helm upgrade --install"
    for name, ns in release:
        assert ns == namespace, "the release's namespace is not the one the role trusts"
        proc = run(
            [
                tool("helm"),
                "template",
                name,
                str(CHART),
                "--namespace",
                ns,
                "-f",
                str(CHART / "values-production.yaml"),
            ],
            env=helm_env(),
        )
        assert proc.returncode == 0, proc.stderr
        accounts = [
            d["metadata"]["name"]
            for d in yaml.safe_load_all(proc.stdout)
            if d and d["kind"] == "ServiceAccount"
        ]
        assert accounts == [role["service_account"]]
    irsa = tf["modules/irsa/main.tf"]
    assert "system:serviceaccount:${var.namespace}:${var.service_account}" in json.dumps(irsa)
