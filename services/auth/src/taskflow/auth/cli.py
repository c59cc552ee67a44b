"""`taskflow-auth api|worker|migrate|rotate-keys|create-admin`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from taskflow.auth.config import Settings
from taskflow.auth.crypto import SecretBox
from taskflow.auth.passwords.hashing import Hasher
from taskflow.auth.users.schemas import normalise_email
from taskflow.auth.worker import run_worker
from taskflow.common.cli import Command, make_cli
from taskflow.common.db import Database
from taskflow.common.errors import Unprocessable
from taskflow.common.logging import get_logger

log = get_logger("taskflow.auth.cli")

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "alembic.ini"


async def rotate_keys(settings: Settings) -> str:
    """Add a new active signing key; returns its kid."""
    from taskflow.auth.keys import service as keys

    db = Database(settings)
    try:
        async with db.sessionmaker() as session, session.begin():
            key = await keys.rotate(session, SecretBox(settings.kek_bytes()), settings)
            return key.kid
    finally:
        await db.dispose()


async def ensure_key(settings: Settings) -> str:
    """Create the first signing key if there is none; returns the active kid."""
    from taskflow.auth.keys import service as keys

    db = Database(settings)
    try:
        async with db.sessionmaker() as session, session.begin():
            key = await keys.ensure_active_key(session, SecretBox(settings.kek_bytes()))
            return key.kid
    finally:
        await db.dispose()


async def create_admin(
    settings: Settings, email: str, password: str, role: str
) -> tuple[str, bool]:
    """Create the account with `role` or add `role` to it; returns (user id, created)."""
    from taskflow.auth.deps import AuthContext
    from taskflow.auth.keys.service import TokenMinter
    from taskflow.auth.sessions.throttle import LoginThrottle
    from taskflow.auth.users import service
    from taskflow.common.redis import make_redis

    db = Database(settings)
    redis = make_redis(settings)
    box = SecretBox(settings.kek_bytes())
    ctx = AuthContext(
        settings=settings,
        box=box,
        hasher=Hasher(settings),
        minter=TokenMinter(settings, box, db.sessionmaker),
        throttle=LoginThrottle(redis, settings),
        mfa_throttle=LoginThrottle(redis, settings, scope="mfa"),
        sessionmaker=db.sessionmaker,
    )
    try:
        async with db.sessionmaker() as session, session.begin():
            user, created = await service.create_or_promote(
                session, ctx, email=normalise_email(email), password=password, role=role
            )
            return str(user.id), created
    finally:
        await redis.aclose()
        await db.dispose()


def _run_rotate(args: argparse.Namespace, settings: Any) -> int:
    kid = asyncio.run(rotate_keys(settings))
    print(f"new active signing key: {kid}")
    return 0


def _run_ensure(args: argparse.Namespace, settings: Any) -> int:
    print(f"active signing key: {asyncio.run(ensure_key(settings))}")
    return 0


def _configure_admin(p: argparse.ArgumentParser) -> None:
    p.add_argument("--email", required=True)
    p.add_argument(
        "--password",
        default=None,
        help="the password (or set AUTH_ADMIN_PASSWORD, or pass --password-stdin)",
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--role", choices=["admin", "auditor", "user"], default="admin")


def _run_admin(args: argparse.Namespace, settings: Any) -> int:
    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    password = password or os.environ.get("AUTH_ADMIN_PASSWORD", "")
    if not password:
        print("create-admin: a password is required", file=sys.stderr)
        return 2
    try:
        user_id, created = asyncio.run(create_admin(settings, args.email, password, args.role))
    except Unprocessable as exc:
        msgs = "; ".join(str(e.get("msg")) for e in exc.extra.get("errors", []))
        print(f"create-admin: {msgs or exc.detail}", file=sys.stderr)
        return 1
    verb = "created" if created else "updated"
    print(f"{verb} user {user_id} with role {args.role}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point."""
    cli = make_cli(
        name="auth",
        settings=Settings,
        app="taskflow.auth.main:app",
        alembic_ini=ALEMBIC_INI,
        worker=run_worker,
        commands={
            "rotate-keys": Command(
                help="add a new active signing key (old ones stay published until their "
                "tokens expire)",
                run=_run_rotate,
            ),
            "ensure-key": Command(help="create the first signing key if none", run=_run_ensure),
            "create-admin": Command(
                help="create an account with a role, or add the role to an existing one",
                run=_run_admin,
                configure=_configure_admin,
            ),
        },
    )
    return cli(argv)


if __name__ == "__main__":
    raise SystemExit(main())
