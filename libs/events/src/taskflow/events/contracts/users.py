"""Events about users, produced by the auth service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from taskflow.events.contracts.base import Event, FieldChange

SystemRole = Literal["admin", "auditor", "user"]


def _default_roles() -> list[SystemRole]:
    return ["user"]


class UserEvent(Event):
    """Events whose aggregate is one user."""

    user_id: UUID

    def subject(self) -> str:
        return f"user/{self.user_id}"

    def aggregate_id(self) -> str:
        return str(self.user_id)


class UserRegistered(UserEvent):
    """A user account was created (email not necessarily verified yet)."""

    event_type: ClassVar[str] = "user.registered"

    email: str
    display_name: str
    timezone: str = "UTC"
    locale: str = "en"
    email_verified: bool = False
    roles: list[SystemRole] = Field(default_factory=_default_roles)


class UserUpdated(UserEvent):
    """Profile or role fields changed; carries the diff and the current values."""

    event_type: ClassVar[str] = "user.updated"

    changes: dict[str, FieldChange]
    email: str
    display_name: str
    timezone: str
    locale: str
    email_verified: bool
    roles: list[SystemRole]
    is_active: bool = True


class UserDeactivated(UserEvent):
    """The account can no longer sign in; projections should hide or flag the user."""

    event_type: ClassVar[str] = "user.deactivated"


class UserMfaEnabled(UserEvent):
    """The user turned on a second factor."""

    event_type: ClassVar[str] = "user.mfa_enabled"


class UserVerificationRequested(UserEvent):
    """An email-verification link was issued; notifications mails it, audit redacts it."""

    event_type: ClassVar[str] = "user.verification_requested"
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"verify_url"})

    email: str
    display_name: str
    verify_url: str
    expires_at: datetime


class UserEmailChangeRequested(UserEvent):
    """A user asked to change their address; notifications mails ``confirm_url`` to the new
    address (``email``) and a notice without the link to the current one (``old_email``).
    The address changes only when the link is used (then ``user.updated``)."""

    event_type: ClassVar[str] = "user.email_change_requested"
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"confirm_url"})

    email: str
    old_email: str
    display_name: str
    confirm_url: str
    expires_at: datetime


class UserPasswordResetRequested(UserEvent):
    """A password-reset link was issued; notifications mails it, audit redacts it."""

    event_type: ClassVar[str] = "user.password_reset_requested"
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"reset_url"})

    email: str
    display_name: str
    reset_url: str
    expires_at: datetime


class UserLoginFailed(Event):
    """A sign-in attempt failed (audit only). ``user_id`` is None for an unknown email."""

    event_type: ClassVar[str] = "user.login_failed"

    user_id: UUID | None
    email: str
    ip: str | None = None
    user_agent: str | None = None
    reason: str

    def subject(self) -> str:
        return f"user/{self.user_id}" if self.user_id else "user/unknown"

    def aggregate_id(self) -> str:
        return str(self.user_id) if self.user_id else f"email:{self.email.lower()}"
