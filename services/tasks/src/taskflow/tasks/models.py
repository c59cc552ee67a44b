"""Every ORM model of the service, imported once so that the metadata is complete."""

from taskflow.tasks.activity.models import Activity
from taskflow.tasks.comments.models import Comment
from taskflow.tasks.db import Base, inbox, outbox_rows
from taskflow.tasks.dependencies.models import Dependency
from taskflow.tasks.invitations.models import Invitation
from taskflow.tasks.labels.models import Label
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.tasks.models import Task, TaskKeyRedirect
from taskflow.tasks.users.models import User
from taskflow.tasks.views.models import SavedView
from taskflow.tasks.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from taskflow.tasks.workflows.models import ProjectStatus

__all__ = [
    "Activity",
    "Base",
    "Comment",
    "Dependency",
    "Invitation",
    "Label",
    "Member",
    "Milestone",
    "Project",
    "ProjectStatus",
    "SavedView",
    "Task",
    "TaskKeyRedirect",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "inbox",
    "outbox_rows",
]
