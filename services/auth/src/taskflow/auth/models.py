"""Every ORM model of the service, imported so that `Base.metadata` is complete (migrations)."""

from taskflow.auth.db import Base, inbox, outbox_rows
from taskflow.auth.keys.models import SigningKey
from taskflow.auth.memberships.models import ProjectMember
from taskflow.auth.mfa.models import RecoveryCode
from taskflow.auth.pats.models import PersonalAccessToken
from taskflow.auth.sessions.models import MfaChallenge, RefreshToken, Session
from taskflow.auth.users.models import OneTimeToken, User

metadata = Base.metadata

__all__ = [
    "Base",
    "MfaChallenge",
    "OneTimeToken",
    "PersonalAccessToken",
    "ProjectMember",
    "RecoveryCode",
    "RefreshToken",
    "Session",
    "SigningKey",
    "User",
    "inbox",
    "metadata",
    "outbox_rows",
]
