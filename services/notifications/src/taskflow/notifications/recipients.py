"""Who hears about a change: pure rules, unit-tested without a database.

The actor never hears about their own change. A user appears once per change, with the most
specific kind (a mention beats a plain comment; being assigned beats an update).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from taskflow.notifications.preferences.schemas import Kind

#: When one user qualifies for several kinds on one change, the first in this list wins.
_PRECEDENCE = [
    Kind.MENTIONED,
    Kind.MEMBER_ADDED,
    Kind.TASK_ASSIGNED,
    Kind.TASK_UNBLOCKED,
    Kind.TASK_DUE,
    Kind.TASK_COMPLETED,
    Kind.COMMENT_ADDED,
    Kind.TASK_UPDATED,
]


def decide(
    actor_id: uuid.UUID | None, groups: Iterable[tuple[Kind, Iterable[uuid.UUID]]]
) -> dict[uuid.UUID, Kind]:
    """Merge (kind, users) groups into one kind per user, without the actor."""
    out: dict[uuid.UUID, Kind] = {}
    for kind, users in groups:
        for user in users:
            if user == actor_id:
                continue
            current = out.get(user)
            if current is None or _PRECEDENCE.index(kind) < _PRECEDENCE.index(current):
                out[user] = kind
    return out


def for_task_change(
    event_type: str,
    *,
    actor_id: uuid.UUID | None,
    assignees: Iterable[uuid.UUID],
    watchers: Iterable[uuid.UUID],
    previous_assignees: Iterable[uuid.UUID] | None,
    due_changed: bool = False,
) -> dict[uuid.UUID, Kind]:
    """Recipients of a task.* event.

    New assignees (compared with the last known snapshot; all assignees on create) get
    `task_assigned`; a removed assignee hears `task_updated`; everyone else involved
    (assignees and watchers) hears the change itself.
    """
    now = set(assignees)
    before = set(previous_assignees or ())
    involved = now | set(watchers)
    added = now - before if previous_assignees is not None else now
    removed = before - now
    if event_type == "task.created":
        return decide(actor_id, [(Kind.TASK_ASSIGNED, added)])
    if event_type == "task.completed":
        change = Kind.TASK_COMPLETED
    elif due_changed:
        change = Kind.TASK_DUE
    else:
        change = Kind.TASK_UPDATED
    return decide(
        actor_id,
        [(Kind.TASK_ASSIGNED, added), (change, involved - added), (Kind.TASK_UPDATED, removed)],
    )


def for_comment(
    *,
    actor_id: uuid.UUID | None,
    assignees: Iterable[uuid.UUID],
    watchers: Iterable[uuid.UUID],
    mentions: Iterable[uuid.UUID],
    members: set[uuid.UUID] | None,
) -> dict[uuid.UUID, Kind]:
    """Recipients of comment.added: mentioned members, then assignees and watchers.

    A mention of someone who is not a member of the project is ignored, so a comment cannot
    be used to leak a task to an outsider. `members=None` means membership is unknown (no
    projection yet) and mentions are trusted as the tasks service resolved them.
    """
    mentioned = [m for m in mentions if members is None or m in members]
    return decide(
        actor_id,
        [(Kind.MENTIONED, mentioned), (Kind.COMMENT_ADDED, [*assignees, *watchers])],
    )


def with_mentions(
    actor_id: uuid.UUID | None,
    targets: dict[uuid.UUID, Kind],
    mentions: Iterable[uuid.UUID],
    members: set[uuid.UUID] | None,
) -> dict[uuid.UUID, Kind]:
    """Add the members a task description newly mentions to a task change's recipients.

    The same rules as a comment's mentions: outsiders are ignored (`members=None`: unknown,
    trust the producer), the actor never hears it, and a mention beats any other kind.
    """
    mentioned = [m for m in mentions if members is None or m in members]
    return decide(actor_id, [(Kind.MENTIONED, mentioned), *_groups(targets)])


def _groups(targets: dict[uuid.UUID, Kind]) -> list[tuple[Kind, list[uuid.UUID]]]:
    return [(kind, [u for u, k in targets.items() if k == kind]) for kind in set(targets.values())]


def for_member_added(actor_id: uuid.UUID | None, member_id: uuid.UUID) -> dict[uuid.UUID, Kind]:
    """The added member hears about it, unless they added themselves."""
    return decide(actor_id, [(Kind.MEMBER_ADDED, [member_id])])
