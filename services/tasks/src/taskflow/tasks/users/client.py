"""Look-ups of users in auth over HTTP (retries + a circuit breaker shared through Redis).

Used when a member is added by email (or by an id the projection has not seen yet): the
projection may lag behind registration, and adding a colleague who signed up a second ago
must work. The caller's bearer token is forwarded: auth decides what the caller may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis

from taskflow.common.errors import ServiceUnavailable
from taskflow.common.resilience import AsyncCircuitBreaker, ResilientClient
from taskflow.tasks.config import Settings


@dataclass(frozen=True)
class RemoteUser:
    """The public profile auth returns."""

    id: uuid.UUID
    email: str | None
    display_name: str | None
    timezone: str | None


def _parse(item: Any) -> RemoteUser | None:
    if not isinstance(item, dict) or "id" not in item:
        return None
    try:
        uid = uuid.UUID(str(item["id"]))
    except ValueError:
        return None
    return RemoteUser(
        id=uid,
        email=item.get("email"),
        display_name=item.get("display_name"),
        timezone=item.get("timezone"),
    )


class AuthDirectory:
    """The users directory of auth, behind retries and a breaker named `auth`."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        breaker = AsyncCircuitBreaker(
            "auth",
            redis_client=redis,
            redis_timeout=settings.redis_timeout,
            prefix=settings.redis_prefix,
            fail_max=settings.auth_breaker_fail_max,
            reset_timeout=settings.auth_breaker_reset_timeout,
            service=settings.service_name,
        )
        self.client = ResilientClient(
            settings.auth_url.rstrip("/"),
            breaker=breaker,
            attempts=settings.auth_retries,
            timeout=settings.auth_timeout,
        )

    async def _get(self, path: str, token: str | None, params: dict[str, str] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = await self.client.get(path, params=params, headers=headers)
        if resp.status_code == 404:
            return None
        if resp.status_code >= 400:
            # Auth refused or failed: to the caller this is "we could not check", not "no user".
            raise ServiceUnavailable(
                "The user directory could not be asked.", code="upstream_unavailable"
            )
        return resp.json()

    async def by_email(self, email: str, token: str | None) -> RemoteUser | None:
        """The user with this email, or None."""
        data = await self._get("/api/v1/users", token, {"email": email})
        items = data.get("items", []) if isinstance(data, dict) and "items" in data else data
        if isinstance(items, dict):
            items = [items]
        for item in items or []:
            user = _parse(item)
            if user is not None and (user.email is None or user.email.lower() == email.lower()):
                return user
        return None

    async def by_id(self, user_id: uuid.UUID, token: str | None) -> RemoteUser | None:
        """The user with this id, or None."""
        return _parse(await self._get(f"/api/v1/users/{user_id}", token))

    async def aclose(self) -> None:
        await self.client.aclose()


async def get_directory(request: Request) -> AuthDirectory:
    """Dependency: the app's directory client."""
    directory: AuthDirectory = request.app.state.directory
    return directory


Directory = Annotated[AuthDirectory, Depends(get_directory)]
