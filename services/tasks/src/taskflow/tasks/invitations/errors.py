"""Errors of the invitations domain."""

from __future__ import annotations

from taskflow.common.errors import Conflict


class TooManyInvitations(Conflict):
    """A project holds at most `invitations_max_pending` live invitations."""

    default_code = "too_many_invitations"
    default_title = "Too many pending invitations"
