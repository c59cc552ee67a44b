"""Events about milestones, produced by the tasks service (aggregate: the milestone)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from taskflow.events.contracts.base import Event, FieldChange, resource_version_field

MilestoneState = Literal["open", "closed"]


class MilestoneEvent(Event):
    """Events whose aggregate is one milestone."""

    milestone_id: UUID
    project_id: UUID

    def subject(self) -> str:
        return f"milestone/{self.milestone_id}"

    def aggregate_id(self) -> str:
        return str(self.milestone_id)


class MilestoneCreated(MilestoneEvent):
    """A milestone was created in a project."""

    event_type: ClassVar[str] = "milestone.created"

    title: str
    due_date: date | None = None
    state: MilestoneState = "open"


with resource_version_field():

    class MilestoneUpdated(MilestoneEvent):
        """Fields of a milestone changed; ``version`` is the milestone's version after it."""

        event_type: ClassVar[str] = "milestone.updated"

        changes: dict[str, FieldChange]
        version: int  # type: ignore[misc]  # the milestone's version; see base module docstring
