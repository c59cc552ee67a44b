"""Which events an endpoint's patterns select (pure logic)."""

from __future__ import annotations

import pytest

from taskflow.tasks.webhooks.payloads import deliverable_types, invalid_patterns, matches


@pytest.mark.parametrize(
    ("patterns", "event_type", "wanted"),
    [
        (["task.*"], "task.created", True),
        (["task.*"], "task.dependency_added", True),
        (["task.*"], "comment.added", False),
        (["comment.added"], "comment.added", True),
        (["comment.added"], "comment.edited", False),
        (["*"], "milestone.updated", True),
        (["*"], "webhook.ping", True),
        (["project.*", "milestone.*"], "project.member_added", True),
        (["task.created"], "task.created.extra", False),
        ([], "task.created", False),
    ],
)
def test_matches(patterns, event_type, wanted):
    assert matches(patterns, event_type) is wanted


def test_only_known_types_families_and_star_are_valid():
    assert invalid_patterns(["*", "task.*", "project.*", "comment.*", "milestone.*"]) == []
    assert invalid_patterns(deliverable_types()) == []
    # admin-only and foreign families are not subscribable, nor partial wildcards
    bad = ["user.*", "project.invitation_created", "task.cre*", "*.created", "webhook.disabled"]
    assert invalid_patterns(["task.created", *bad]) == [1, 2, 3, 4, 5]
