"""Recipient rules (pure): who hears about a change, and never the actor."""

from __future__ import annotations

import uuid

from taskflow.notifications import recipients
from taskflow.notifications.preferences.schemas import Kind

A, B, C, D = (uuid.uuid4() for _ in range(4))


def test_created_notifies_assignees_but_not_the_actor() -> None:
    out = recipients.for_task_change(
        "task.created", actor_id=A, assignees=[A, B], watchers=[C], previous_assignees=None
    )
    assert out == {B: Kind.TASK_ASSIGNED}


def test_update_reaches_assignees_and_watchers_once_each() -> None:
    out = recipients.for_task_change(
        "task.updated", actor_id=D, assignees=[A, B], watchers=[B, C], previous_assignees=[A, B]
    )
    assert out == {A: Kind.TASK_UPDATED, B: Kind.TASK_UPDATED, C: Kind.TASK_UPDATED}


def test_new_assignee_beats_update_and_removed_assignee_hears_of_it() -> None:
    out = recipients.for_task_change(
        "task.updated", actor_id=D, assignees=[B], watchers=[C], previous_assignees=[A]
    )
    assert out == {B: Kind.TASK_ASSIGNED, C: Kind.TASK_UPDATED, A: Kind.TASK_UPDATED}


def test_due_change_and_completion_kinds() -> None:
    due = recipients.for_task_change(
        "task.updated",
        actor_id=D,
        assignees=[A],
        watchers=[],
        previous_assignees=[A],
        due_changed=True,
    )
    assert due == {A: Kind.TASK_DUE}
    done = recipients.for_task_change(
        "task.completed", actor_id=A, assignees=[A], watchers=[B], previous_assignees=[A]
    )
    assert done == {B: Kind.TASK_COMPLETED}


def test_mention_beats_comment_and_outsiders_are_not_mentioned() -> None:
    out = recipients.for_comment(
        actor_id=A, assignees=[B], watchers=[C], mentions=[B, D, A], members={A, B, C}
    )
    assert out == {B: Kind.MENTIONED, C: Kind.COMMENT_ADDED}


def test_member_added_unless_self() -> None:
    assert recipients.for_member_added(A, B) == {B: Kind.MEMBER_ADDED}
    assert recipients.for_member_added(B, B) == {}


def test_description_mention_beats_assignment_and_skips_actor_and_outsiders() -> None:
    targets = {B: Kind.TASK_ASSIGNED, C: Kind.TASK_UPDATED}
    out = recipients.with_mentions(A, targets, [B, D, A], members={A, B, C})
    assert out == {B: Kind.MENTIONED, C: Kind.TASK_UPDATED}
    assert recipients.with_mentions(A, {}, [D], members=None) == {D: Kind.MENTIONED}
