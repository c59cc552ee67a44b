"""The sender: claims due deliveries, sends them through their channel, records every attempt.

A channel's failures never touch another channel or the in-app notification (already
committed). Calendar deliveries go first in each pass, so that an email sent in the same pass
already knows whether the calendar is in trouble and then carries the .ics itself.

The admin routes' rules (list, retry a failed delivery) are here too, at the end: the router
reaches the deliveries table only through them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from taskflow.common.errors import Conflict, NotFound, ServiceUnavailable
from taskflow.common.logging import get_logger
from taskflow.common.pagination import Page, PageParams
from taskflow.common.resilience import AsyncCircuitBreaker, CircuitBreakerError
from taskflow.common.tracing import bound
from taskflow.events.contracts.notifications import NotificationDeliveryFailed
from taskflow.notifications.calendar.caldav import CaldavChannel, CaldavError
from taskflow.notifications.calendar.feed import entry_for
from taskflow.notifications.calendar.ics import calendar as ics_calendar
from taskflow.notifications.calendar.models import CalendarCollection
from taskflow.notifications.config import Settings
from taskflow.notifications.context import Context
from taskflow.notifications.deliveries import email, repository
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.deliveries.schemas import DeliveryRead
from taskflow.notifications.deliveries.state import (
    Channel,
    Outcome,
    Status,
    after_breaker_open,
    after_failure,
    after_permanent_failure,
    after_success,
    retry_allowed,
)
from taskflow.notifications.post_commit import on_commit
from taskflow.notifications.projections import repository as projections

log = get_logger(__name__)

#: Adds an event to the service's outbox in the caller's transaction.
PublishFailed = Callable[[AsyncSession, NotificationDeliveryFailed], Awaitable[None]]
Clock = Callable[[], datetime]

_SMTP_TRANSIENT = (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError)


class _BreakerOpen(Exception):
    pass


class Sender:
    """Sends email and calendar deliveries; `run_once` is one pass, `run` loops until stopped."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        smtp_breaker: AsyncCircuitBreaker,
        caldav: CaldavChannel | None,
        caldav_breaker: AsyncCircuitBreaker | None,
        publish_failed: PublishFailed,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.smtp_breaker = smtp_breaker
        self.caldav = caldav
        self.caldav_breaker = caldav_breaker
        self.publish_failed = publish_failed
        self.clock = clock
        self.wake = asyncio.Event()

    def poke(self) -> None:
        """Ask for a pass now (called after a commit that queued something)."""
        self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Pass after pass until `stop` is set; sleeps until poked or the poll interval."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("sender_pass_failed")
                busy = 0
            if busy:
                continue
            self.wake.clear()
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self.settings.sender_poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()
                stopper.cancel()

    async def run_once(self) -> int:
        """One pass over due deliveries (calendar first); returns how many were handled."""
        done = 0
        if self.caldav is not None:
            done += await self._pass(Channel.CALENDAR)
        done += await self._pass(Channel.EMAIL)
        return done

    async def _pass(self, channel: Channel) -> int:
        now = self.clock()
        async with self.sessionmaker() as session, session.begin():
            claimed = await repository.claim_due(
                session,
                channel.value,
                now,
                limit=self.settings.delivery_batch,
                lease=self.settings.delivery_lease_seconds,
            )
        for delivery in claimed:
            await self._attempt(delivery)
        return len(claimed)

    async def _attempt(self, delivery: Delivery) -> None:
        # Under the trace of the event that queued it: the attempt's log lines (and a
        # `notification.delivery_failed` it causes) carry that trace and request id.
        payload = delivery.payload or {}
        with bound(payload.get("traceparent"), payload.get("request_id")):
            await self._attempt_traced(delivery)

    async def _attempt_traced(self, delivery: Delivery) -> None:
        now = self.clock()
        try:
            if delivery.channel == Channel.CALENDAR:
                await self._send_calendar(delivery)
            else:
                await self._send_email(delivery)
        except _BreakerOpen:
            outcome = after_breaker_open(
                delivery.attempts, now, self.settings.breaker_reset_timeout
            )
        except email.PermanentSmtpFailure as exc:
            outcome = after_permanent_failure(delivery.attempts, now, str(exc))
            log.warning(
                "delivery_refused_permanently",
                delivery_id=str(delivery.id),
                channel=delivery.channel,
                error=outcome.last_error,
            )
        except Exception as exc:
            outcome = after_failure(
                delivery.attempts,
                delivery.max_attempts,
                now,
                _describe(exc),
                base=self.settings.delivery_backoff_base,
                cap=self.settings.delivery_backoff_cap,
            )
            log.warning(
                "delivery_attempt_failed",
                delivery_id=str(delivery.id),
                channel=delivery.channel,
                attempts=outcome.attempts,
                error=outcome.last_error,
            )
        else:
            outcome = after_success(delivery.attempts, now)
        await self._record(delivery, outcome, now)

    async def _record(self, delivery: Delivery, outcome: Outcome, now: datetime) -> None:
        sensitive = bool((delivery.payload or {}).get("sensitive"))
        async with self.sessionmaker() as session, session.begin():
            await repository.record(session, delivery.id, outcome, now, clear_payload=sensitive)
            if outcome.final_failure:
                await self.publish_failed(
                    session,
                    NotificationDeliveryFailed(
                        # Account mails have no notification: the delivery stands for it.
                        notification_id=delivery.notification_id or delivery.id,
                        delivery_id=delivery.id,
                        user_id=delivery.user_id or uuid.UUID(int=0),
                        channel=delivery.channel,
                        attempts=outcome.attempts,
                        last_error=outcome.last_error or "unknown",
                    ),
                )

    # -- email ------------------------------------------------------------------------------

    async def _send_email(self, delivery: Delivery) -> None:
        payload: dict[str, Any] = dict(delivery.payload or {})
        if not payload or not delivery.recipient:
            raise ValueError("delivery has nothing to send")
        ics = await self._fallback_ics(delivery, payload)
        msg = email.build_message(
            self.settings,
            delivery.recipient,
            payload,
            message_id=f"<{delivery.id}@taskflow.local>",
            ics=ics,
        )
        refused: list[email.PermanentSmtpFailure] = []

        async def send() -> None:
            # A permanent refusal is an answer from a working server: it leaves the breaker
            # as a success (whatever the breaker's own exclusion rules), and is raised after.
            try:
                await email.send(self.settings, msg)
            except email.PermanentSmtpFailure as exc:
                refused.append(exc)

        await self._through(self.smtp_breaker, send, _SMTP_TRANSIENT)
        if refused:
            raise refused[0]

    async def _fallback_ics(self, delivery: Delivery, payload: dict[str, Any]) -> bytes | None:
        """The task's .ics when the user wants calendar entries but the calendar is unreachable."""
        task_ref = payload.get("ics_task_id")
        if not task_ref or delivery.user_id is None:
            return None
        task_id = uuid.UUID(task_ref)
        async with self.sessionmaker() as session:
            down = (
                self.caldav is None
                or (
                    self.caldav_breaker is not None
                    and await self.caldav_breaker.current_state() == "open"
                )
                or await repository.calendar_trouble(session, delivery.user_id, task_id)
            )
            if not down:
                return None
            task = await projections.task(session, task_id)
        if task is None or task.due_at is None:
            return None
        return ics_calendar([entry_for(task, self.settings.spa_base_url)], stamp=self.clock())

    # -- calendar ---------------------------------------------------------------------------

    async def _send_calendar(self, delivery: Delivery) -> None:
        assert self.caldav is not None
        assert delivery.user_id is not None
        task_id = uuid.UUID((delivery.payload or {})["task_id"])
        user_id = delivery.user_id
        async with self.sessionmaker() as session:
            task = await projections.task(session, task_id)
            known = await session.get(CalendarCollection, user_id) is not None
        wanted = (
            task is not None
            and task.due_at is not None
            and not task.done
            and not task.deleted
            and user_id in (task.assignee_ids or [])
        )
        try:
            if not wanted:
                await self.caldav.delete(user_id, task_id)
                return
            assert task is not None
            body = ics_calendar([entry_for(task, self.settings.spa_base_url)], stamp=self.clock())
            if not known:
                await self.caldav.ensure_collection(user_id)
                await self._remember_collection(user_id)
            status = await self.caldav.put(user_id, task_id, body)
            if status in (404, 409):
                # The collection vanished on the server side: make it again once.
                await self.caldav.ensure_collection(user_id)
                await self._remember_collection(user_id)
                if await self.caldav.put(user_id, task_id, body) in (404, 409):
                    raise CaldavError("calendar collection is missing")
        except ServiceUnavailable as exc:
            # ResilientClient hides the cause (`from None`) but keeps it as the context.
            if isinstance(exc.__context__, CircuitBreakerError):
                raise _BreakerOpen from exc
            raise CaldavError("calendar server unreachable") from exc

    async def _remember_collection(self, user_id: uuid.UUID) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.merge(CalendarCollection(user_id=user_id))

    # -- shared -----------------------------------------------------------------------------

    async def _through(
        self,
        breaker: AsyncCircuitBreaker,
        call: Callable[[], Awaitable[object]],
        transient: tuple[type[BaseException], ...],
    ) -> None:
        """Retry `call` a few times with jittered backoff; each try goes through the breaker."""
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.settings.send_retry_attempts),
                wait=wait_exponential_jitter(
                    multiplier=0.05, max=self.settings.send_retry_wait_max, jitter=0.05
                ),
                retry=retry_if_exception_type(transient),
                reraise=True,
            ):
                with attempt:
                    await breaker.call(call)
        except CircuitBreakerError as exc:
            raise _BreakerOpen from exc


def _describe(exc: BaseException) -> str:
    """A short, secret-free description of a failure (no messages that could echo credentials)."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"SMTP {exc.code}"
    return type(exc).__name__


async def list_deliveries(
    session: AsyncSession, page: PageParams, *, status: str | None = None
) -> Page[DeliveryRead]:
    """One page of deliveries, newest first, optionally of one status (the admin view)."""
    out = await repository.page(session, status=status, page=page)
    return Page[DeliveryRead](
        items=[DeliveryRead.model_validate(d) for d in out.items], next_cursor=out.next_cursor
    )


async def retry(session: AsyncSession, ctx: Context, delivery_id: uuid.UUID) -> DeliveryRead:
    """Make a failed (or stuck pending) delivery due now with one more attempt allowed, and
    wake the sender once that is committed, so an admin's retry goes out at once.
    """
    row = await repository.get_for_update(session, delivery_id)
    if row is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    if not retry_allowed(row.status) or row.payload is None:
        raise Conflict("Only a failed or pending delivery can be retried.", code="not_retryable")
    now = ctx.clock()
    row.status = Status.PENDING.value
    row.next_attempt_at = now
    row.max_attempts = max(row.max_attempts, row.attempts + 1)
    row.updated_at = now
    await session.flush()

    async def wake() -> None:
        ctx.wake_sender()

    on_commit(session, wake)
    return DeliveryRead.model_validate(row)
