"""argon2id hashing, run off the event loop and bounded in concurrency.

Each hash holds `memory_cost` of RAM and a core for ~0.1 s, so the number running at once is
capped by a semaphore: a burst of logins waits in line instead of exhausting memory, and the
event loop keeps serving other requests while a thread hashes.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from taskflow.auth.config import Settings

#: A password nobody has; its hash is verified when the email is unknown, so that an unknown
#: email costs the same time as a wrong password.
_DUMMY_PASSWORD = "taskflow-dummy-password-for-timing"


class Hasher:
    """The service's PasswordHasher with a thread offload and a concurrency cap."""

    def __init__(self, settings: Settings) -> None:
        self.ph = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._sem = asyncio.Semaphore(settings.password_hash_concurrency)
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """The argon2id hash of `password` (PHC string, with its own salt and parameters)."""
        async with self._sem:
            return await asyncio.to_thread(self.ph.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True when `password` matches; any malformed hash counts as a mismatch."""
        async with self._sem:
            return await asyncio.to_thread(self._verify_sync, password_hash, password)

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
