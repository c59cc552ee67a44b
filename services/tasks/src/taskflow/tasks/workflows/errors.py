"""Errors of the workflows domain."""

from __future__ import annotations

from taskflow.common.errors import Conflict


class DuplicateStatus(Conflict):
    """Status names are unique within a project (case-insensitive)."""

    default_code = "duplicate_status"
    default_title = "A status with this name exists"


class WorkflowNeedsStatus(Conflict):
    """A workflow keeps at least one open and one done status (completion needs both)."""

    default_code = "workflow_needs_status"
    default_title = "The workflow needs this status"


class WipLimitReached(Conflict):
    """The target status holds as many live tasks as its WIP limit allows."""

    default_code = "wip_limit_reached"
    default_title = "The status is at its WIP limit"
