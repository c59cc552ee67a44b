"""`make seed`: demo data loaded through the gateway's public HTTP API of a running `make dev`.

    python infra/local/seed.py [--gateway http://localhost:8080] [--mail-dir .dev/mail]

Everything goes through the same API the web app uses (no SQL), so the demo data also
produces every event: the audit log, reports, notifications and calendars fill up as they
would in real use. What already exists is skipped, so running it twice is harmless:
users that exist are logged in, projects are found by key, tasks by title in their project.

Demo users share one password (``DEMO_USER_PASSWORD``, default below); the demo admin is
``DEMO_ADMIN_EMAIL`` / ``DEMO_ADMIN_PASSWORD`` from ``.env`` (``make dev`` creates it; seed
creates it with ``taskflow-auth create-admin`` when it cannot log in). Verification links are
read from the dev mail sink (.eml files, or a Maildir) when they arrive within a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import os
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_USER_PASSWORD = "demo-Taskflow-2026!"


@dataclass
class DemoUser:
    key: str
    email: str
    name: str
    timezone: str = "Europe/Zurich"
    source: str = "127.0.0.1"
    token: str | None = None
    user_id: str | None = None


USERS = [
    DemoUser("alice", "alice@taskflow.example", "Alice Martin", "Europe/Zurich", "127.0.0.51"),
    DemoUser("bob", "bob@taskflow.example", "Bob Keller", "Europe/London", "127.0.0.52"),
    DemoUser("carol", "carol@taskflow.example", "Carol Nguyen", "America/New_York", "127.0.0.53"),
]

PROJECTS: list[dict[str, Any]] = [
    {
        "key": "OPS",
        "name": "Payments operations",
        "description": "Daily and weekly controls of the payments back office.",
        "status": "active",
        "owner": "alice",
        "members": {"bob": "member", "carol": "viewer"},
        "tasks": [
            {
                "title": "Reconcile the suspense account",
                "priority": "high",
                "due_days": 1,
                "assignee": "bob",
                "reminders": [{"before_minutes": 60}],
                "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=MO", "mode": "fixed"},
                "comments": [("alice", "Attach the bank statement to the task, please.")],
            },
            {
                "title": "Review failed SEPA batches",
                "priority": "urgent",
                "due_days": 0,
                "assignee": "bob",
                "reminders": [{"before_minutes": 30}],
                "recurrence": {"rrule": "FREQ=DAILY", "mode": "after_completion"},
                "comments": [("bob", "Two batches failed on cut-off; re-sent at 14:05.")],
            },
            {
                "title": "Rotate the SFTP keys of the clearing house",
                "priority": "medium",
                "due_days": 10,
                "assignee": "alice",
                "status": "in_progress",
            },
            {
                "title": "Update the incident runbook",
                "priority": "low",
                "due_days": -2,
                "assignee": "alice",
                "comments": [("bob", "The escalation numbers changed in March.")],
            },
        ],
    },
    {
        "key": "FIN",
        "name": "Month-end close",
        "description": "The checklist of the monthly close.",
        "status": "planning",
        "owner": "carol",
        "members": {"alice": "admin", "bob": "member"},
        "tasks": [
            {
                "title": "Accruals for external consultants",
                "priority": "high",
                "due_days": 5,
                "assignee": "carol",
                "reminders": [{"before_minutes": 24 * 60}],
                "recurrence": {"rrule": "FREQ=MONTHLY;BYMONTHDAY=-3", "mode": "fixed"},
            },
            {
                "title": "Intercompany balances confirmation",
                "priority": "medium",
                "due_days": 7,
                "assignee": "bob",
                "comments": [("alice", "Subsidiary CH confirms by Thursday.")],
            },
            {"title": "Close the books", "priority": "urgent", "due_days": 9, "assignee": "carol"},
        ],
    },
]


#: Answers a polite client waits out: the rate limit, and the gateway's 502/503/504 while the
#: apis behind it are still starting (`make seed` right after `make dev` met them).
_WAIT_OUT = (429, 502, 503, 504)


class Api:
    """A small client for the gateway that waits out rate limits (429) like a polite client.

    nginx budgets logins per client address. On a loopback gateway each demo person talks
    from an address of their own (127.0.0.x), as separate browsers would, so seeding does
    not wait on one shared budget; elsewhere every request comes from this machine.
    """

    def __init__(self, base_url: str, source: str | None = None) -> None:
        host = urllib.parse.urlsplit(base_url).hostname or ""
        loopback = host == "localhost" or host.startswith("127.")
        transport = httpx.AsyncHTTPTransport(local_address=source) if source and loopback else None
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20, transport=transport)

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        deadline = time.monotonic() + 90
        while True:
            response = await self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code not in _WAIT_OUT or time.monotonic() > deadline:
                return response
            wait = float(response.headers.get("retry-after", "2") or 2)
            why = "rate limited" if response.status_code == 429 else "the service is starting"
            print(f"  ({why} on {path}; waiting)")
            await asyncio.sleep(min(max(wait, 2.0), 5.0))

    async def aclose(self) -> None:
        await self.http.aclose()


def fail(what: str, response: httpx.Response) -> None:
    detail = response.text[:300]
    raise SystemExit(f"seed: {what} failed: {response.status_code} {detail}")


async def login(api: Api, email_: str, password: str) -> str | None:
    response = await api.request(
        "POST", "/api/v1/auth/login", json={"email": email_, "password": password}
    )
    if response.status_code != 200:
        return None
    body = response.json()
    if body.get("mfa_required"):
        print(f"  {email_} has MFA on; skipped (log in with your authenticator)")
        return None
    return str(body["access_token"])


def _mail_files(folder: Path) -> list[Path]:
    if (folder / "new").is_dir() or (folder / "cur").is_dir():  # a Maildir
        return [p for sub in ("new", "cur") for p in (folder / sub).glob("*") if p.is_file()]
    return sorted(folder.glob("*.eml"))


def find_verify_token(folder: Path, address: str) -> str | None:
    """The newest verification link mailed to `address` in the dev mail sink."""
    if not folder.is_dir():
        return None
    newest: tuple[float, str] | None = None
    for path in _mail_files(folder):
        message = email.message_from_bytes(path.read_bytes())
        if address not in str(message.get("To", "")):
            continue
        for part in message.walk():
            if part.get_content_maintype() != "text":
                continue
            payload = part.get_payload(decode=True)
            text = payload.decode(errors="replace") if isinstance(payload, bytes) else ""
            found = re.search(r"verify-email\?token=([^\s\"'<>&]+)", text)
            if found and (newest is None or path.stat().st_mtime > newest[0]):
                newest = (path.stat().st_mtime, urllib.parse.unquote(found.group(1)))
    return newest[1] if newest else None


async def ensure_user(api: Api, user: DemoUser, password: str, mail_dir: Path) -> None:
    response = await api.request(
        "POST",
        "/api/v1/auth/register",
        json={"email": user.email, "password": password, "display_name": user.name},
    )
    created = response.status_code == 201
    if not created and response.status_code != 409:
        fail(f"register {user.email}", response)
    user.token = await login(api, user.email, password)
    if user.token is None:
        raise SystemExit(f"seed: cannot log in as {user.email} (was its password changed?)")
    me = await api.request("GET", "/api/v1/users/me", token=user.token)
    if me.status_code != 200:
        fail("users/me", me)
    user.user_id = me.json()["id"]
    if me.json().get("timezone") != user.timezone:
        await api.request(
            "PATCH", "/api/v1/users/me", token=user.token, json={"timezone": user.timezone}
        )
    if not me.json().get("email_verified"):
        deadline = time.monotonic() + 8
        token = None
        while token is None and time.monotonic() < deadline:
            token = find_verify_token(mail_dir, user.email)
            if token is None:
                await asyncio.sleep(0.5)
        if token is not None:
            await api.request("POST", "/api/v1/auth/verify-email", json={"token": token})
    print(f"  user {user.email} {'created' if created else 'exists'}")


def ensure_admin(email_: str, password: str) -> None:
    """Create the demo admin with the auth CLI (the API cannot make admins, by design)."""
    env = {**os.environ, "AUTH_ADMIN_PASSWORD": password}
    subprocess.run(  # noqa: S603 (our own argv)
        ["uv", "run", "--no-sync", "taskflow-auth", "create-admin", "--email", email_],  # noqa: S607
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


async def ensure_project(
    apis: dict[str, Api], spec: dict[str, Any], users: dict[str, DemoUser]
) -> None:
    owner = users[spec["owner"]]
    api = apis[owner.key]
    listed = await api.request("GET", "/api/v1/projects", token=owner.token, params={"limit": 200})
    if listed.status_code != 200:
        fail("list projects", listed)
    project = next((p for p in listed.json()["items"] if p["key"] == spec["key"]), None)
    if project is None:
        response = await api.request(
            "POST",
            "/api/v1/projects",
            token=owner.token,
            json={k: spec[k] for k in ("key", "name", "description", "status")},
        )
        if response.status_code != 201:
            fail(f"create project {spec['key']}", response)
        project = response.json()
        print(f"  project {spec['key']} created")
    else:
        print(f"  project {spec['key']} exists")
    pid = project["id"]

    members = await api.request("GET", f"/api/v1/projects/{pid}/members", token=owner.token)
    present = {m.get("user_id") for m in members.json().get("items", [])}
    for key, role in spec["members"].items():
        if users[key].user_id in present:
            continue
        response = await api.request(
            "POST",
            f"/api/v1/projects/{pid}/members",
            token=owner.token,
            # By id: the seed knows it, and adding by the address of someone the owner shares
            # no project with answers an opaque 202 (nothing is said about the account).
            json={"user_id": str(users[key].user_id), "role": role},
        )
        if response.status_code not in (200, 201, 409):
            fail(f"add {key} to {spec['key']}", response)

    existing = await api.request(
        "GET", f"/api/v1/projects/{pid}/tasks", token=owner.token, params={"limit": 200}
    )
    titles = {t["title"] for t in existing.json().get("items", [])}
    today = datetime.now(UTC).replace(hour=16, minute=0, second=0, microsecond=0)
    made = 0
    for task in spec["tasks"]:
        if task["title"] in titles:
            continue
        body: dict[str, Any] = {
            "title": task["title"],
            "priority": task["priority"],
            "due_at": (today + timedelta(days=task["due_days"])).isoformat(),
            "assignee_ids": [users[task["assignee"]].user_id],
            "reminders": task.get("reminders", []),
        }
        if "recurrence" in task:
            body["recurrence"] = task["recurrence"]
        if "status" in task:
            body["status"] = task["status"]
        response = await api.request(
            "POST", f"/api/v1/projects/{pid}/tasks", token=owner.token, json=body
        )
        if response.status_code != 201:
            fail(f"create task {task['title']!r}", response)
        made += 1
        task_id = response.json()["id"]
        for author, text in task.get("comments", []):
            comment = await apis[author].request(
                "POST",
                f"/api/v1/tasks/{task_id}/comments",
                token=users[author].token,
                json={"body": text},
            )
            if comment.status_code != 201:
                fail("add a comment", comment)
    print(f"  {made} task(s) created in {spec['key']}, {len(spec['tasks']) - made} existed")


async def seed(gateway: str, mail_dir: Path) -> None:
    password = os.environ.get("DEMO_USER_PASSWORD", DEFAULT_USER_PASSWORD)
    apis = {u.key: Api(gateway, u.source) for u in USERS}
    admin_api = Api(gateway, "127.0.0.50")
    try:
        health = await admin_api.request("GET", "/healthz")
        if health.status_code != 200:
            fail(f"the gateway at {gateway}", health)
        users = {u.key: u for u in USERS}
        # Side by side: most of the time goes to waiting for each verification mail.
        await asyncio.gather(*(ensure_user(apis[u.key], u, password, mail_dir) for u in USERS))
        admin_email = os.environ.get("DEMO_ADMIN_EMAIL")
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD")
        if admin_email and admin_password:
            if await login(admin_api, admin_email, admin_password) is None:
                ensure_admin(admin_email, admin_password)
                if await login(admin_api, admin_email, admin_password) is None:
                    raise SystemExit(f"seed: cannot log in as the demo admin {admin_email}")
            print(f"  admin {admin_email} ready")
        for spec in PROJECTS:
            await ensure_project(apis, spec, users)
    finally:
        for api in [*apis.values(), admin_api]:
            await api.aclose()
    print("\nDemo logins (password: DEMO_USER_PASSWORD, default in infra/local/seed.py):")
    for user in USERS:
        print(f"  {user.email}")


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines of .env into the environment (without overriding it)."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


def main(argv: list[str] | None = None) -> int:
    load_dotenv(ROOT / ".env")
    port = os.environ.get("GATEWAY_LISTEN", "127.0.0.1:8080").rsplit(":", 1)[-1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--mail-dir", type=Path, default=ROOT / ".dev" / "mail")
    args = parser.parse_args(argv)
    print(f"seeding {args.gateway}")
    try:
        asyncio.run(seed(args.gateway, args.mail_dir))
    except httpx.ConnectError:
        print(f"seed: nothing answers at {args.gateway}; start it with `make dev`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
