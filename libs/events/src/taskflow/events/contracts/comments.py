"""Events about comments on tasks, produced by the tasks service (aggregate: the comment)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from taskflow.events.contracts.base import Event, FieldChange, resource_version_field


class CommentEvent(Event):
    """Events whose aggregate is one comment."""

    comment_id: UUID
    task_id: UUID
    project_id: UUID

    def subject(self) -> str:
        return f"comment/{self.comment_id}"

    def aggregate_id(self) -> str:
        return str(self.comment_id)


class CommentAdded(CommentEvent):
    """A comment was posted; ``mentions`` are the users @-mentioned in ``body``.

    ``task_key`` and ``task_title`` let notifications write "New comment on OPS-12: ..." without
    a call back to the tasks service.
    """

    event_type: ClassVar[str] = "comment.added"

    author_id: UUID
    body: str
    mentions: list[UUID] = Field(default_factory=list)
    task_key: str
    task_title: str


with resource_version_field():

    class CommentEdited(CommentEvent):
        """The body changed; ``mentions`` are those of the new body, ``version`` the comment's.

        ``changes`` (added in v1, optional: empty in events written before it) holds
        ``{"body": {"before", "after"}}`` like the other update events, so that consumers such
        as outgoing webhooks can say what the comment said before.
        """

        event_type: ClassVar[str] = "comment.edited"

        body: str
        mentions: list[UUID] = Field(default_factory=list)
        version: int  # type: ignore[misc]  # the comment's version; see base module docstring
        changes: dict[str, FieldChange] = Field(default_factory=dict)


class CommentDeleted(CommentEvent):
    """The comment was soft-deleted."""

    event_type: ClassVar[str] = "comment.deleted"
