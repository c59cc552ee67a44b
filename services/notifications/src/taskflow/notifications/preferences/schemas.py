"""Preference schemas and the defaults; `channels_for` is the one place that resolves them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from taskflow.notifications.preferences.models import Preferences


class Kind(StrEnum):
    """Kinds of notification a user can tune."""

    TASK_ASSIGNED = "task_assigned"
    TASK_UPDATED = "task_updated"
    TASK_COMPLETED = "task_completed"
    TASK_UNBLOCKED = "task_unblocked"
    TASK_DUE = "task_due"
    COMMENT_ADDED = "comment_added"
    MENTIONED = "mentioned"
    MEMBER_ADDED = "member_added"
    REMINDER = "reminder"
    OVERDUE = "overdue"
    WEBHOOK_DISABLED = "webhook_disabled"


class ChannelSet(BaseModel):
    """Which channels a kind goes to. `calendar` only matters for `task_due`."""

    model_config = ConfigDict(extra="forbid")

    in_app: bool = True
    email: bool = False
    calendar: bool = False


#: What a user gets before touching anything: everything in-app, mail for what needs action.
DEFAULTS: dict[Kind, ChannelSet] = {
    Kind.TASK_ASSIGNED: ChannelSet(email=True),
    Kind.TASK_UPDATED: ChannelSet(),
    Kind.TASK_COMPLETED: ChannelSet(),
    # The last blocker closed: the assignee can start now, which needs action.
    Kind.TASK_UNBLOCKED: ChannelSet(email=True),
    Kind.TASK_DUE: ChannelSet(email=True),
    Kind.COMMENT_ADDED: ChannelSet(),
    Kind.MENTIONED: ChannelSet(email=True),
    Kind.MEMBER_ADDED: ChannelSet(email=True),
    Kind.REMINDER: ChannelSet(email=True),
    Kind.OVERDUE: ChannelSet(email=True),
    Kind.WEBHOOK_DISABLED: ChannelSet(email=True),
}

#: Kinds that are time-critical: never held back for the digest.
NOT_DIGESTED = frozenset({Kind.REMINDER, Kind.OVERDUE})


class PreferencesRead(BaseModel):
    """A user's full preferences, defaults filled in."""

    kinds: dict[Kind, ChannelSet]
    digest: Literal["off", "daily"] = "off"
    digest_hour: int = Field(default=8, ge=0, le=23, description="Local hour of the daily digest.")


class PreferencesUpdate(BaseModel):
    """A change of preferences; kinds not named keep their current setting."""

    model_config = ConfigDict(extra="forbid")

    kinds: dict[Kind, ChannelSet] | None = None
    digest: Literal["off", "daily"] | None = None
    digest_hour: int | None = Field(default=None, ge=0, le=23)


def resolve(stored: dict[str, object] | None) -> dict[Kind, ChannelSet]:
    """Defaults overlaid with what the user stored (unknown stored kinds are ignored)."""
    out = dict(DEFAULTS)
    for name, value in (stored or {}).items():
        try:
            kind = Kind(name)
        except ValueError:
            continue
        if isinstance(value, dict):
            out[kind] = ChannelSet.model_validate({**DEFAULTS[kind].model_dump(), **value})
    return out


def channels_for(stored: dict[str, object] | None, kind: str) -> ChannelSet:
    """The channels of one kind for a user with these stored preferences."""
    try:
        k = Kind(kind)
    except ValueError:
        return ChannelSet()
    return resolve(stored)[k]


def to_read(row: Preferences | None) -> PreferencesRead:
    if row is None:
        return PreferencesRead(kinds=resolve(None))
    return PreferencesRead(
        kinds=resolve(row.kinds),
        digest=row.digest,
        digest_hour=row.digest_hour,
    )
