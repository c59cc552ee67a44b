"""Sends due deliveries: claim, sign, send through the guard and the breaker, record, decide.

A delivery is claimed with `FOR UPDATE SKIP LOCKED` and its row stays locked, in one
transaction, until the attempt is recorded. If the process dies mid-send, PostgreSQL ends the
transaction and the row is free again, still pending: another dispatcher sends it with the
same `webhook-id` (at-least-once; receivers drop duplicates by that id). Sends per process are
bounded by `webhooks_concurrency`, and each holds one pooled connection for at most the
outbound deadline (connect + read timeouts).

Each endpoint has a circuit breaker whose state is in Redis (shared by every replica): a
timeout, connection error, 429 or 5xx counts as a failure; while it is open the endpoint's
deliveries are pushed back by the breaker's reset time without an attempt being spent.

The failure streak (`webhooks.failing_since`) is shared by all of an endpoint's deliveries:
once it lasts `webhooks_disable_after_days`, the endpoint is deactivated and a
`webhook.disabled` event tells the project's admins. "In a row" means attempts kept failing,
not that nothing succeeded: when the endpoint's previous attempt is more than `STREAK_GAP`
old (no delivery was even trying), a failure starts a new streak, so one failure, a quiet
week and one more failure do not switch off a receiver that may have been fine meanwhile.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow
from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.common.resilience import AsyncCircuitBreaker, CircuitBreakerError
from taskflow.events import sleep_or_stop
from taskflow.events.contracts.webhooks import WebhookDisabled
from taskflow.tasks.config import Settings
from taskflow.tasks.db import OUTBOX
from taskflow.tasks.webhooks import repository, schedule, signing
from taskflow.tasks.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from taskflow.tasks.webhooks.outbound import Answer, Outbound

log = get_logger("taskflow.tasks.webhooks")

Clock = Callable[[], datetime]
EXCERPT_BYTES = 512
#: Longer than any wait between two attempts of a pending delivery (the schedule's longest,
#: 24 h + 20 % jitter; a Retry-After is capped at a day): a longer silence breaks a streak.
STREAK_GAP = timedelta(hours=36)


def excerpt(raw: bytes) -> str:
    """The first bytes of an answer as text PostgreSQL accepts (it refuses NUL characters)."""
    return raw[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "\ufffd")


class _Retryable(Exception):
    """An answer that counts as a failure for the breaker (raised inside it)."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.error or str(answer.status))
        self.answer = answer


def outbound_for(settings: Settings) -> Outbound:
    """The guarded sender configured from settings."""
    return Outbound(
        allow_private=settings.webhooks_private_allowed,
        require_https=settings.webhooks_require_https,
        connect_timeout=settings.webhooks_connect_timeout,
        read_timeout=settings.webhooks_read_timeout,
        max_body=settings.webhooks_max_response_bytes,
    )


class Dispatcher:
    """The send loop of one process; `now` and `rand` are injectable for the schedule tests."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        outbound: Outbound,
        redis_client: Redis,
        *,
        now: Clock = utcnow,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.db = db
        self.outbound = outbound
        self.redis = redis_client
        self.now = now
        self.rand = rand
        self._breakers: dict[uuid.UUID, AsyncCircuitBreaker] = {}
        self.sent = 0

    def breaker(self, webhook_id: uuid.UUID) -> AsyncCircuitBreaker:
        """The endpoint's breaker (state in Redis under the service's prefix)."""
        if webhook_id not in self._breakers:
            self._breakers[webhook_id] = AsyncCircuitBreaker(
                f"webhook:{webhook_id}",
                redis_client=self.redis,
                prefix=self.settings.redis_prefix,
                fail_max=self.settings.webhooks_breaker_fail_max,
                reset_timeout=self.settings.webhooks_breaker_reset_seconds,
                redis_timeout=self.settings.redis_timeout,
                # A customer's receiver, one per webhook: its state is the webhook's, no alert.
                export_metric=False,
            )
        return self._breakers[webhook_id]

    async def run(self, stop: asyncio.Event) -> None:
        """`webhooks_concurrency` send loops until stopped; each finishes its send first."""
        await asyncio.gather(*(self._loop(stop) for _ in range(self.settings.webhooks_concurrency)))

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.send_one()
            except Exception as exc:  # a database blip must not end the loop
                log.warning("webhook_dispatch_failed", error_type=type(exc).__name__)
                busy = False
            if not busy and await sleep_or_stop(stop, self.settings.webhooks_poll_seconds):
                return

    async def send_one(self) -> bool:
        """Claim one due delivery and attempt it; False when nothing was due."""
        async with self.db.sessionmaker.begin() as session:
            claimed = await repository.claim_due_delivery(session, self.now())
            if claimed is None:
                return False
            delivery, hook = claimed
            await self._attempt(session, delivery, hook)
            return True

    def _secrets(self, hook: Webhook) -> list[str]:
        out = [hook.secret]
        if (
            hook.previous_secret
            and hook.previous_expires_at
            and hook.previous_expires_at > (self.now())
        ):
            out.append(hook.previous_secret)
        return out

    async def _send(self, delivery: WebhookDelivery, hook: Webhook) -> Answer:
        body = delivery.payload.encode()
        # The signature's timestamp is the real send time: receivers check it against theirs.
        headers = signing.headers(
            self._secrets(hook), signing.message_id(delivery.id), int(time.time()), body
        )
        answer = await self.outbound.post(hook.url, headers, body)
        if schedule.classify(answer) == "retry":
            raise _Retryable(answer)
        return answer

    async def _attempt(
        self, session: AsyncSession, delivery: WebhookDelivery, hook: Webhook
    ) -> None:
        breaker = self.breaker(hook.id)
        try:
            answer = await breaker.call(self._send, delivery, hook)
        except _Retryable as exc:
            answer = exc.answer
        except CircuitBreakerError:
            wait = timedelta(seconds=self.settings.webhooks_breaker_reset_seconds)
            delivery.next_attempt_at = self.now() + wait
            return
        now = self.now()
        decision = schedule.decide(answer, delivery.round_attempts + 1, now, self.rand)
        previous = None
        if decision.outcome != "succeeded":
            # the newest attempt before this one (this one is not written yet)
            previous = await repository.last_attempt_at(session, hook.id)
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                webhook_id=hook.id,
                attempted_at=now,
                status_code=answer.status,
                duration_ms=answer.duration_ms,
                outcome=decision.outcome,
                response_excerpt=excerpt(answer.excerpt),
                error=answer.error,
            )
        )
        delivery.attempts += 1
        delivery.round_attempts += 1
        delivery.state = decision.state
        if decision.next_attempt_at is not None:
            delivery.next_attempt_at = decision.next_attempt_at
        delivery.last_attempt_at = now
        delivery.last_status = answer.status
        delivery.last_error = answer.error
        self.sent += 1
        if decision.outcome == "succeeded":
            await repository.clear_failing_since(session, hook.id)
        else:
            await self._failed(session, hook, now, previous)
        log.info(
            "webhook_attempt",
            webhook_id=str(hook.id),
            delivery_id=str(delivery.id),
            status=answer.status,
            outcome=decision.outcome,
        )

    async def _failed(
        self, session: AsyncSession, hook: Webhook, now: datetime, previous: datetime | None
    ) -> None:
        """Extend the failure streak (or start one after a silence); disable the endpoint once
        it is long enough (once). `previous` is the endpoint's attempt before this one."""
        fresh = previous is None or now - previous > STREAK_GAP
        since = await repository.extend_failing_since(session, hook.id, now, fresh=fresh)
        if since is None or now - since < timedelta(days=self.settings.webhooks_disable_after_days):
            return
        if not await repository.disable_failing(session, hook.id):
            return  # another dispatcher disabled it first
        admins = await repository.admin_ids(session, hook.project_id)
        event = WebhookDisabled(
            webhook_id=hook.id,
            project_id=hook.project_id,
            url_host=urlsplit(hook.url).hostname or "",
            failing_since=since,
            admin_ids=admins,
        )
        await OUTBOX.add(session, event, actor_id=None)
        log.warning("webhook_disabled", webhook_id=str(hook.id))
