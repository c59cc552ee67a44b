"""Per-app resources of the auth service and the request facts it needs (client IP, agent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.auth.config import Settings
from taskflow.auth.crypto import SecretBox
from taskflow.auth.keys.service import TokenMinter
from taskflow.auth.passwords.hashing import Hasher
from taskflow.auth.sessions.throttle import LoginThrottle, first_in_window


@dataclass
class AuthContext:
    """Everything the auth routes share, built once per app (`app.state.auth`)."""

    settings: Settings
    box: SecretBox
    hasher: Hasher
    minter: TokenMinter
    throttle: LoginThrottle
    mfa_throttle: LoginThrottle
    sessionmaker: async_sessionmaker[AsyncSession]

    async def may_send_mail(self, kind: str, email: str) -> bool:
        """False when a mail of `kind` went to `email` less than `mail_interval_seconds` ago."""
        if self.settings.mail_interval_seconds == 0:
            return True
        return await first_in_window(
            self.throttle.redis, self.settings, kind, email, self.settings.mail_interval_seconds
        )


def get_context(request: Request) -> AuthContext:
    """Dependency: the app's AuthContext."""
    ctx: AuthContext = request.app.state.auth
    return ctx


@dataclass(frozen=True)
class ClientInfo:
    """Who is on the other end, as far as the network tells (for throttling and sessions)."""

    ip: str | None
    user_agent: str | None


def get_client(request: Request) -> ClientInfo:
    """The client IP (the gateway's X-Forwarded-For entry when trusted) and its user agent."""
    settings: Settings = request.app.state.settings
    ip = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and settings.trust_forwarded_for:
        # The gateway appends the address it saw; entries before it are client-controlled.
        last = forwarded.split(",")[-1].strip()
        ip = last[:64] or ip
    agent = request.headers.get("user-agent")
    return ClientInfo(ip=ip, user_agent=agent[:256] if agent else None)


Ctx = Annotated[AuthContext, Depends(get_context)]
Client = Annotated[ClientInfo, Depends(get_client)]
