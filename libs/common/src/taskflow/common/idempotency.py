"""`Idempotency-Key` on creates, with the state in Redis.

A route uses it in two lines:

    @router.post("/tasks", status_code=201, response_model=TaskRead)
    async def create_task(body: TaskCreate, db: SessionDep, idem: IdempotencyDep) -> Response:
        task = await service.create(db, body)
        return await idem.respond(db, TaskRead.model_validate(task), status_code=201,
                                  headers={"Location": f"/api/v1/tasks/{task.id}"})

How it works. Keys are scoped by caller (the principal's user id, or `anon`), so two users can
never see or block each other's keys. For a request with a key, the dependency (before the
route runs) does `SET NX` of an *in-progress* record with a short TTL:

- set: the route runs. `respond()` commits the request's session first and only then stores
  the *completed* record (status, JSON body, Location/ETag) for `ttl` seconds: a response is
  never stored for a write that did not commit. If the route fails, the in-progress record is
  deleted so that the client's retry runs again.
- not set, in progress: 409 `idempotency_in_progress` (a concurrent duplicate).
- not set, completed: the stored response is replayed with `Idempotent-Replayed: true`.
- either, but the request fingerprint (method, path, SHA-256 of the body) differs:
  422 `idempotency_key_reused`.

Requests without the header are not deduplicated.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import commit
from taskflow.common.errors import Conflict, Unprocessable
from taskflow.common.logging import get_logger
from taskflow.common.security import OptionalPrincipal

log = get_logger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
IN_PROGRESS_TTL = 60
COMPLETED_TTL = 24 * 3600
REPLAYED_HEADERS = ("location", "etag")


class IdempotentReplay(Exception):
    """Raised by the dependency to answer with a stored response; rendered by the app."""

    def __init__(self, status_code: int, body: Any, headers: Mapping[str, str]) -> None:
        super().__init__("idempotent replay")
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers)

    def response(self) -> Response:
        return JSONResponse(
            self.body,
            status_code=self.status_code,
            headers={**self.headers, "Idempotent-Replayed": "true"},
        )


def _valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(0x20 <= ord(c) <= 0x7E for c in key)


def _reused() -> Unprocessable:
    return Unprocessable(
        "This Idempotency-Key was already used for a different request.",
        code="idempotency_key_reused",
        errors=[{"loc": ["header", HEADER], "msg": "Key reused", "type": "idempotency"}],
    )


class Idempotency:
    """The state of one request's idempotency key (None when the header was absent)."""

    def __init__(
        self,
        redis: Redis | None,
        redis_key: str | None,
        fingerprint: str,
        owner_token: str,
        ttl: int = COMPLETED_TTL,
    ) -> None:
        self.redis = redis
        self.redis_key = redis_key
        self.fingerprint = fingerprint
        self.owner_token = owner_token
        self.ttl = ttl
        self.completed = False

    @property
    def key_present(self) -> bool:
        return self.redis_key is not None

    async def respond(
        self,
        session: AsyncSession | None,
        content: Any,
        *,
        status_code: int = 201,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Commit `session`, store the response for replays, and return it."""
        body = jsonable_encoder(content)
        out_headers = dict(headers or {})
        if session is not None:
            await commit(session)
        if self.redis is not None and self.redis_key is not None:
            stored = {
                "state": "done",
                "fp": self.fingerprint,
                "status": status_code,
                "body": body,
                "headers": {k: v for k, v in out_headers.items() if k.lower() in REPLAYED_HEADERS},
            }
            try:
                await self.redis.set(self.redis_key, json.dumps(stored), ex=self.ttl)
                self.completed = True
            except Exception as exc:
                # The write is committed; only replays are lost. Never fail the request now.
                log.warning("idempotency_store_failed", error_type=type(exc).__name__)
        return JSONResponse(body, status_code=status_code, headers=out_headers)

    async def release(self) -> None:
        """Drop our in-progress record (the route failed), so that a retry runs again."""
        if self.redis is None or self.redis_key is None or self.completed:
            return
        try:
            raw = await self.redis.get(self.redis_key)
            if raw is not None and json.loads(raw).get("owner") == self.owner_token:
                await self.redis.delete(self.redis_key)
        except Exception as exc:
            log.warning("idempotency_release_failed", error_type=type(exc).__name__)


#: Background clean-ups of claims whose answer never came (kept so they are not collected).
_orphans: set[asyncio.Task[None]] = set()


async def _drop_orphan_claim(redis: Redis, redis_key: str, owner: str) -> None:
    """Remove our in-progress record if a claim that timed out lands in Redis after all.

    A `SET NX` sent to a stalled Redis is held on the way and may be applied when the stall
    heals, after the client got its 503: the key would then say "in progress" for the whole
    in-progress TTL and the client's retry would get 409 for a minute. Watch the key for a
    while once Redis answers and delete the record if it is ours (never someone else's).
    """
    deadline = asyncio.get_running_loop().time() + IN_PROGRESS_TTL
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1)
        try:
            raw = await redis.get(redis_key)
            if raw is not None:
                if json.loads(raw).get("owner") == owner:
                    await redis.delete(redis_key)
                return
        except (RedisConnectionError, RedisTimeoutError):
            log.debug("idempotency_orphan_check_failed")  # still away: look again later


def _watch_orphan_claim(redis: Redis, redis_key: str, owner: str) -> None:
    task = asyncio.get_running_loop().create_task(_drop_orphan_claim(redis, redis_key, owner))
    _orphans.add(task)
    task.add_done_callback(_orphans.discard)


async def get_idempotency(
    request: Request, principal: OptionalPrincipal
) -> AsyncIterator[Idempotency]:
    """Dependency: claim the request's Idempotency-Key, or replay / refuse (module docstring)."""
    key = request.headers.get(HEADER)
    if key is None:
        yield Idempotency(None, None, "", "")
        return
    if not _valid_key(key):
        raise Unprocessable(
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
            code="invalid_idempotency_key",
            errors=[{"loc": ["header", HEADER], "msg": "Invalid key", "type": "idempotency"}],
        )
    body = await request.body()
    fingerprint = hashlib.sha256(
        b"\n".join(
            [
                request.method.encode(),
                request.url.path.encode(),
                hashlib.sha256(body).hexdigest().encode(),
            ]
        )
    ).hexdigest()
    settings = request.app.state.settings
    redis: Redis = request.app.state.redis
    scope = str(principal.user_id) if principal is not None else "anon"
    redis_key = ":".join(
        (settings.redis_prefix, "idem", scope, hashlib.sha256(key.encode()).hexdigest())
    )
    owner = uuid.uuid4().hex
    marker = json.dumps({"state": "in_progress", "fp": fingerprint, "owner": owner})
    try:
        claimed = await redis.set(redis_key, marker, nx=True, ex=IN_PROGRESS_TTL)
    except (RedisConnectionError, RedisTimeoutError):
        _watch_orphan_claim(redis, redis_key, owner)
        raise  # 503 redis_unavailable (create_app's handler)
    if not claimed:
        raw = await redis.get(redis_key)
        if raw is None:  # expired between SET and GET: treat as in progress, client retries
            raise Conflict(
                "A request with this key is in progress.", code="idempotency_in_progress"
            )
        record = json.loads(raw)
        if record.get("fp") != fingerprint:
            raise _reused()
        if record.get("state") != "done":
            raise Conflict(
                "A request with this Idempotency-Key is still in progress.",
                code="idempotency_in_progress",
                headers={"Retry-After": "1"},
            )
        raise IdempotentReplay(int(record["status"]), record.get("body"), record.get("headers", {}))
    idem = Idempotency(redis, redis_key, fingerprint, owner)
    try:
        yield idem
    except BaseException:
        await idem.release()
        raise
    if not idem.completed:
        # The route returned without respond(): nothing to replay, let a retry run again.
        await idem.release()


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency, scope="function")]


async def replay_handler(_request: Request, exc: Exception) -> Response:
    """Exception handler installed by `create_app` for `IdempotentReplay`."""
    assert isinstance(exc, IdempotentReplay)
    return exc.response()
