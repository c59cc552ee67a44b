"""Errors of the projects domain."""

from __future__ import annotations

from taskflow.common.errors import Conflict


class LastOwner(Conflict):
    """The last owner of a project cannot leave, be removed or be demoted."""

    default_code = "last_owner"
    default_title = "A project needs an owner"


class ProjectArchived(Conflict):
    """Archived projects are read-only until unarchived."""

    default_code = "project_archived"
    default_title = "The project is archived"


class DuplicateKey(Conflict):
    """Project keys are unique."""

    default_code = "duplicate_key"
    default_title = "The project key is taken"


class AlreadyMember(Conflict):
    """The user is already a member of the project."""

    default_code = "already_member"
    default_title = "Already a member"
