"""argon2id hashing, run off the event loop and bounded in concurrency.

Each hash holds `memory_cost` of RAM and a core for ~0.1 s, so the number running at once is
capped by a semaphore: a burst of logins waits in line instead of exhausting memory, and the
event loop keeps serving other requests while a thread hashes. The line itself is bounded
(`password_hash_queue`): once it is full, a request is answered 503 `hashing_busy` with
`Retry-After` at once instead of waiting (and holding its client) for an unbounded time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from taskflow.auth.config import Settings
from taskflow.common.errors import ServiceUnavailable

#: A password nobody has; its hash is verified when the email is unknown, so that an unknown
#: email costs the same time as a wrong password.
_DUMMY_PASSWORD = "taskflow-dummy-password-for-timing"
#: Seconds a client is told to wait when the hashing line is full.
BUSY_RETRY_AFTER = 2
T = TypeVar("T")


class Hasher:
    """The service's PasswordHasher with a thread offload and a concurrency cap."""

    def __init__(self, settings: Settings) -> None:
        self.ph = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._sem = asyncio.Semaphore(settings.password_hash_concurrency)
        self._capacity = settings.password_hash_concurrency + settings.password_hash_queue
        self._inside = 0  # hashing or waiting for a slot
        self._dummy_hash: str | None = None

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._inside >= self._capacity:
            raise ServiceUnavailable(
                "Too many sign-ins at once; try again shortly.",
                code="hashing_busy",
                headers={"Retry-After": str(BUSY_RETRY_AFTER)},
            )
        self._inside += 1
        try:
            async with self._sem:
                return await asyncio.to_thread(fn, *args)
        finally:
            self._inside -= 1

    async def hash(self, password: str) -> str:
        """The argon2id hash of `password` (PHC string, with its own salt and parameters)."""
        return await self._run(self.ph.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; any malformed hash counts as a mismatch."""
        return await self._run(self._verify_sync, password_hash, password)

    def _verify_sync(self, password_hash: str, password: str) -> bool:
        try:
            return self.ph.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification against a hash with the current parameters."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(_DUMMY_PASSWORD)
        await self.verify(self._dummy_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        try:
            return self.ph.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
