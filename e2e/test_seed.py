"""`make seed` (infra/local/seed.py) against the running system, twice: it loads, then skips."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from e2e.harness import ROOT, System
from taskflow.testing.smtp import SmtpSink

DEMO_PASSWORD = "e2e-Demo-password-2026!"


def _seed(system: System, mail: SmtpSink) -> str:
    env = {
        # seed.py may run `taskflow-auth create-admin`: point it at this run's database.
        **system.service_env("auth"),
        "DEMO_USER_PASSWORD": DEMO_PASSWORD,
        "DEMO_ADMIN_EMAIL": "demo-admin@taskflow.example",
        "DEMO_ADMIN_PASSWORD": "e2e-Admin-password-2026!",
    }
    result = subprocess.run(  # noqa: S603 (our own argv)
        [
            sys.executable,
            str(ROOT / "infra" / "local" / "seed.py"),
            "--gateway",
            system.gateway_url,
            "--mail-dir",
            str(mail.folder),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


@pytest.mark.needs("auth", "tasks", "notifications")
async def test_seed_loads_demo_data_and_is_idempotent(system: System, mail: SmtpSink) -> None:
    """The first run creates users, projects, tasks and comments; the second only finds them."""
    first = _seed(system, mail)
    assert "project OPS created" in first, first
    assert "4 task(s) created in OPS" in first, first
    second = _seed(system, mail)
    assert "project OPS exists" in second, second
    assert "0 task(s) created in OPS, 4 existed" in second, second
    assert "0 task(s) created in FIN, 3 existed" in second, second

    async with httpx.AsyncClient(base_url=system.gateway_url, timeout=10) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"email": "bob@taskflow.example", "password": DEMO_PASSWORD}
        )
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        me = (await http.get("/api/v1/users/me")).json()
        assert me["email_verified"] is True  # verified from the link in the sink
        projects = {p["key"]: p for p in (await http.get("/api/v1/projects")).json()["items"]}
        assert {"OPS", "FIN"} <= set(projects)
        tasks = (await http.get(f"/api/v1/projects/{projects['OPS']['id']}/tasks")).json()
        titles = [t["title"] for t in tasks["items"]]
        assert len(titles) == len(set(titles)) == 4, titles
        recurring = [t for t in tasks["items"] if t["recurrence"]]
        assert recurring
        assert all(t["due_at"] for t in tasks["items"])
        assert any(t["reminders"] for t in tasks["items"])
        task = next(t for t in tasks["items"] if t["title"] == "Reconcile the suspense account")
        comments = (await http.get(f"/api/v1/tasks/{task['id']}/comments")).json()["items"]
        assert len(comments) == 1
