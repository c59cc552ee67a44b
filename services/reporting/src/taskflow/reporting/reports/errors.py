"""Errors of the reports, each with its stable code."""

from __future__ import annotations

from taskflow.common.errors import Forbidden, NotFound


class ProjectNotFound(NotFound):
    """404 for a project that does not exist or that the caller is not a member of."""

    default_code = "project_not_found"
    default_title = "Not Found"

    def __init__(self, detail: str = "No such project.") -> None:
        super().__init__(detail)


class TeamForbidden(Forbidden):
    """403: team figures are for the project's admins and owners."""

    default_code = "team_reports_forbidden"

    def __init__(
        self, detail: str = "Team figures are for the project's admins and owners."
    ) -> None:
        super().__init__(detail)
