"""Errors of the dependencies domain."""

from __future__ import annotations

from taskflow.common.errors import Conflict


class DependencyCycle(Conflict):
    """The new link would make a task (indirectly) block itself."""

    default_code = "dependency_cycle"
    default_title = "This dependency would make a cycle"


class DuplicateDependency(Conflict):
    """The link exists already."""

    default_code = "duplicate_dependency"
    default_title = "This dependency exists"


class OpenBlockers(Conflict):
    """The task cannot be completed while tasks blocking it are open."""

    default_code = "open_blockers"
    default_title = "The task has open blockers"
