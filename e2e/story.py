"""State shared by the steps of the end-to-end story (one object for the whole run).

Each simulated person talks to the gateway from a loopback address of their own (127.0.0.x):
nginx keys its rate limits by client address, so the people of the story do not share one
budget, exactly as different browsers would not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from e2e.clients import make_http


@dataclass
class Person:
    """One user of the story: credentials, address, and what the steps learned about them."""

    name: str
    source: str
    email: str
    password: str = field(default_factory=lambda: "e2e-" + secrets.token_urlsafe(18))
    user_id: str | None = None
    token: str | None = None
    totp_secret: str | None = None
    last_totp_step: int | None = None

    def http(self, base_url: str, *, authenticated: bool = True) -> httpx.AsyncClient:
        """A client for the gateway from this person's address (with their token)."""
        return make_http(base_url, token=self.token if authenticated else None, source=self.source)


@dataclass
class LiveSocket:
    """Bob's WebSocket: a background reader collects every JSON frame it receives."""

    connection: Any
    messages: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read_forever(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.connection:
                with contextlib.suppress(ValueError):
                    self.messages.append(json.loads(raw))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.connection.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader


@dataclass
class Story:
    """What earlier steps established; later steps `require` it."""

    run: str = field(default_factory=lambda: secrets.token_hex(4))
    alice: Person = field(init=False)
    bob: Person = field(init=False)
    auditor: Person = field(init=False)
    project_id: str | None = None
    project_key: str | None = None
    task_id: str | None = None
    task_title: str | None = None
    task_version: int | None = None
    task_created_at: str | None = None
    #: The trace id the task's creation request was sent with (step 04).
    trace_id: str | None = None
    socket: LiveSocket | None = None
    done: set[str] = field(default_factory=set)
    #: Every secret the story handled (label -> value); no log file may contain any of them.
    secrets: dict[str, str] = field(default_factory=dict)

    def keep(self, label: str, value: object) -> None:
        """Remember a secret the system handed out or was given, for the log scan."""
        if isinstance(value, str) and value:
            self.secrets[f"{label} #{len(self.secrets)}"] = value

    def __post_init__(self) -> None:
        self.alice = Person("alice", "127.0.0.11", f"alice-{self.run}@example.com")
        self.bob = Person("bob", "127.0.0.12", f"bob-{self.run}@example.com")
        self.auditor = Person("auditor", "127.0.0.13", f"auditor-{self.run}@example.com")

    def require(self, *steps: str) -> None:
        """Skip (visibly) a step whose prerequisite step did not complete; it failed above."""
        missing = [s for s in steps if s not in self.done]
        if missing:
            pytest.skip(f"needs the earlier step(s) {', '.join(missing)}, which did not complete")
