"""Helpers shared by the auth tests (a module with a unique name, see conftest)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PASSWORD = "Correct-Horse-Battery-42"
_counter = itertools.count()


class Api:
    """Small helpers over the client for the flows most tests need."""

    def __init__(self, client: httpx.AsyncClient, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine

    @staticmethod
    def email() -> str:
        return f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.com"

    async def register(
        self, email: str | None = None, password: str = PASSWORD, name: str = "Ada"
    ) -> dict[str, Any]:
        email = email or self.email()
        r = await self.client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": password, "display_name": name},
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def login(self, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password, **extra}
        )

    async def signed_in(self, password: str = PASSWORD) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new user and the token pair of a fresh login."""
        user = await self.register(password=password)
        r = await self.login(user["email"], password)
        assert r.status_code == 200, r.text
        return user, dict(r.json())

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """The `data` of every outbox event of a type, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT envelope FROM auth.outbox WHERE event_type = :t ORDER BY id"),
                {"t": event_type},
            )
            return [dict(r[0]["data"]) for r in rows]

    async def make_admin(self, role: str = "admin") -> tuple[dict[str, Any], dict[str, Any]]:
        """A user promoted to `role` in the database, signed in afterwards."""
        user = await self.register()
        async with self.engine.begin() as conn:
            await conn.execute(
                text("UPDATE auth.users SET roles = ARRAY['user', :r]::varchar[] WHERE id = :id"),
                {"r": role, "id": user["id"]},
            )
        r = await self.login(user["email"])
        assert r.status_code == 200, r.text
        return user, dict(r.json())


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}
