"""Per-app resources of the auth service and the request facts it needs (client IP, agent)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.auth.config import Settings
from taskflow.auth.crypto import SecretBox
from taskflow.auth.keys.service import TokenMinter
from taskflow.auth.passwords.hashing import Hasher
from taskflow.auth.sessions.throttle import LoginThrottle, first_in_window

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class AuthContext:
    """Everything the auth routes share, built once per app (`app.state.ctx`)."""

    settings: Settings
    box: SecretBox
    hasher: Hasher
    minter: TokenMinter
    throttle: LoginThrottle
    mfa_throttle: LoginThrottle
    sessionmaker: async_sessionmaker[AsyncSession]
    proxies: tuple[IPNetwork, ...] = field(default=())

    async def may_send_mail(self, kind: str, email: str) -> bool:
        """False when a mail of `kind` went to `email` less than `mail_interval_seconds` ago."""
        if self.settings.mail_interval_seconds == 0:
            return True
        return await first_in_window(
            self.throttle.redis, self.settings, kind, email, self.settings.mail_interval_seconds
        )


async def get_context(request: Request) -> AuthContext:
    """Dependency: the app's AuthContext."""
    ctx: AuthContext = request.app.state.ctx
    return ctx


@dataclass(frozen=True)
class ClientInfo:
    """Who is on the other end, as far as the network tells (for throttling and sessions)."""

    ip: str | None
    user_agent: str | None


def _parse_ip(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(peer: str | None, forwarded: str | None, trusted: Sequence[IPNetwork]) -> str | None:
    """The address that reached our first trusted proxy.

    X-Forwarded-For is believed only when the socket peer is a trusted proxy. Then the list is
    walked from the right (each proxy appends the address it saw) past further trusted
    proxies; the first other entry is the client. Entries left of it are client-controlled
    and never used. A malformed entry stops the walk at the last trusted hop.
    """
    peer_ip = _parse_ip(peer) if peer else None
    if peer_ip is None or not forwarded or not any(peer_ip in net for net in trusted):
        return peer
    found: IPAddress = peer_ip
    for entry in reversed(forwarded.split(",")[-16:]):
        hop = _parse_ip(entry)
        if hop is None:
            break
        found = hop
        if not any(hop in net for net in trusted):
            break
    return str(found)


async def get_client(request: Request) -> ClientInfo:
    """The client IP (see `client_ip`) and its user agent, both bounded."""
    ctx: AuthContext = request.app.state.ctx
    peer = request.client.host if request.client else None
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), ctx.proxies)
    agent = request.headers.get("user-agent")
    return ClientInfo(ip=ip[:64] if ip else None, user_agent=agent[:256] if agent else None)


Ctx = Annotated[AuthContext, Depends(get_context)]
Client = Annotated[ClientInfo, Depends(get_client)]
