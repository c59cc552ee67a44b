"""Events -> account mail: the verification, password-reset and email-change links, and the
invitation of an address that has no account yet to register and join a project.

These are no notifications (no in-app row, no preferences): a user asked for the mail, so it
is queued straight away as a delivery, and the sender is woken once the transaction commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.events.contracts.projects import ProjectInvitationMailRequested
from taskflow.events.contracts.users import (
    UserEmailChangeRequested,
    UserPasswordResetRequested,
    UserVerificationRequested,
)
from taskflow.events.envelope import Envelope
from taskflow.notifications.consuming import Handler
from taskflow.notifications.context import Context
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

    async def invitation_mail_requested(
        session: AsyncSession, envelope: Envelope, event: ProjectInvitationMailRequested
    ) -> None:
        """The invitation to register, to an address no account has (so no user, no
        preferences: like a verification mail, it is what the inviter asked for)."""
        mail = email.render(
            "invitation",
            f"{event.inviter_name or 'A colleague'} invited you to {event.project_name}",
            inviter=event.inviter_name or "A colleague",
            project=event.project_name,
            role=event.role,
            url=event.invite_url,
            expires=event.expires_at.strftime("%Y-%m-%d"),
            base_url=ctx.settings.spa_base_url,
        )
        await _queue(ctx, session, envelope, "invitation", mail, to=event.email, user_id=None)

    return {
        "project.invitation_mail_requested": invitation_mail_requested,
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
    await _queue(
        ctx, session, envelope, kind, mail, to=to or event.email, user_id=event.user_id,
        dedupe=dedupe,
    )  # fmt: skip


async def _queue(
    ctx: Context,
    session: AsyncSession,
    envelope: Envelope,
    kind: str,
    mail: email.RenderedMail,
    *,
    to: str,
    user_id: uuid.UUID | None,
    dedupe: str = "",
) -> None:
    """Queue one rendered mail holding a one-time link as an email delivery to `to`, and
    wake the sender once the transaction commits."""
    now = ctx.clock()
    payload = mail.as_payload()
    # The payload holds a one-time link: the sender clears it once the mail went out.
    payload["sensitive"] = True
    await deliveries.enqueue(
        session,
        [
            deliveries.new_row(
                channel=Channel.EMAIL,
                kind=kind,
                user_id=user_id,
                recipient=to,
                dedupe_key=f"email:{envelope.id}" + (f":{dedupe}" if dedupe else ""),
                payload=payload,
                max_attempts=ctx.settings.delivery_max_attempts,
                now=now,
            )
        ],
    )

    async def wake() -> None:
        ctx.wake_sender()

    on_commit(session, wake)
