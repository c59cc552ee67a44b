"""Events -> account mail: the verification and password-reset links.

These are no notifications (no in-app row, no preferences): a user asked for the mail, so it
is queued straight away as a delivery, and the sender is woken once the transaction commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.events.contracts.users import UserPasswordResetRequested, UserVerificationRequested
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
        mail = email.render(
            "verification",
            "Confirm your email address",
            name=event.display_name,
            url=event.verify_url,
            base_url=ctx.settings.spa_base_url,
        )
        await _account_mail(
            ctx, session, envelope, event.user_id, event.email, "verification", mail
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
        mail = email.render(
            "password_reset",
            "Reset your Taskflow password",
            name=event.display_name,
            url=event.reset_url,
            base_url=ctx.settings.spa_base_url,
        )
        await _account_mail(
            ctx, session, envelope, event.user_id, event.email, "password_reset", mail
        )

    return {
        "user.verification_requested": verification_requested,
        "user.password_reset_requested": password_reset_requested,
    }


async def _account_mail(
    ctx: Context,
    session: AsyncSession,
    envelope: Envelope,
    user_id: uuid.UUID,
    to: str,
    kind: str,
    mail: email.RenderedMail,
) -> None:
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
                "user_id": user_id,
                "recipient": to,
                "dedupe_key": f"email:{envelope.id}",
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
