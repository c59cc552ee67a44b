"""Events -> account mail: the verification, password-reset and email-change links.

These are no notifications (no in-app row, no preferences): a user asked for the mail, so it
is queued straight away as a delivery, and the sender is woken once the transaction commits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.events.contracts.users import (
    UserEmailChangeRequested,
    UserPasswordResetRequested,
    UserVerificationRequested,
)
from taskflow.events.envelope import Envelope
from taskflow.notifications.consuming import Handler
from taskflow.notifications.context import Context
from taskflow.notifications.db import new_id
from taskflow.notifications.deliveries import email
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel
from taskflow.notifications.post_commit import on_commit
from taskflow.notifications.projections import repository as projections

log = get_logger(__name__)


def handlers(ctx: Context) -> dict[str, Handler]:
    """The account mails' entries."""

    async def verification_requested(
        session: AsyncSession, envelope: Envelope, event: UserVerificationRequested
    ) -> None:
        """The one mail that goes to an unverified address: the link that verifies it."""
        await _account_mail(
            ctx,
            session,
            envelope,
            event,
            "verification",
            "Confirm your email address",
            event.verify_url,
        )

    async def password_reset_requested(
        session: AsyncSession, envelope: Envelope, event: UserPasswordResetRequested
    ) -> None:
        """Reset links go only to an address we know is verified."""
        user = (await projections.users(session, [event.user_id])).get(event.user_id)
        verified = (
            user is not None
            and user.email_verified
            and (user.email or "").lower() == event.email.lower()
        )
        if not verified:
            log.info("reset_mail_skipped_unverified", user_id=str(event.user_id))
            return
        await _account_mail(
            ctx,
            session,
            envelope,
            event,
            "password_reset",
            "Reset your Taskflow password",
            event.reset_url,
        )

    async def email_change_requested(
        session: AsyncSession, envelope: Envelope, event: UserEmailChangeRequested
    ) -> None:
        """The confirmation link to the new address; a notice without it to the current one,
        so the owner hears of a change they did not ask for before anything changed."""
        await _account_mail(
            ctx,
            session,
            envelope,
            event,
            "email_change",
            "Confirm your new email address",
            event.confirm_url,
            expires=event.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        await _account_mail(
            ctx,
            session,
            envelope,
            event,
            "email_change_notice",
            "Your Taskflow address is about to change",
            "",
            to=event.old_email,
            dedupe="notice",
            new_email=event.email,
        )

    return {
        "user.verification_requested": verification_requested,
        "user.password_reset_requested": password_reset_requested,
        "user.email_change_requested": email_change_requested,
    }


async def _account_mail(
    ctx: Context,
    session: AsyncSession,
    envelope: Envelope,
    event: UserVerificationRequested | UserPasswordResetRequested | UserEmailChangeRequested,
    kind: str,
    subject: str,
    url: str,
    *,
    to: str | None = None,
    dedupe: str = "",
    **extra: str,
) -> None:
    """Render the mail with its one-time link and queue it to the address the event names
    (or `to`); `dedupe` tells apart two mails of one event (email change)."""
    mail = email.render(
        kind,
        subject,
        name=event.display_name,
        url=url,
        base_url=ctx.settings.spa_base_url,
        **extra,
    )
    now = ctx.clock()
    payload = mail.as_payload()
    # The payload holds a one-time link: the sender clears it once the mail went out.
    payload["sensitive"] = True
    await deliveries.enqueue(
        session,
        [
            {
                "id": new_id(),
                "channel": Channel.EMAIL.value,
                "kind": kind,
                "user_id": event.user_id,
                "recipient": to or event.email,
                "dedupe_key": f"email:{envelope.id}" + (f":{dedupe}" if dedupe else ""),
                "payload": payload,
                "status": "pending",
                "max_attempts": ctx.settings.delivery_max_attempts,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )

    async def wake() -> None:
        ctx.wake_sender()

    on_commit(session, wake)
