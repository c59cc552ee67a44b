"""A hand-computed scenario: events of three projects with the figures they must give.

Times are early November 2026 (all in the past), so "overdue now" is fixed. Every expected
figure below is worked out by hand in the comments next to the events that cause it.

Project P: owner O, admin A, member M, viewer V. Milestone MS "Beta" (created 11-01, due 11-07).
  T1 high, M, due 11-06 17:00: todo 11-02 09:00, in_progress 11-03 09:00, done 11-05 09:00
     -> cycle 48 h, lead 72 h, on time.  (milestone MS)
  T2 medium, M, due 11-04 12:00: todo 11-02 10:00, in_progress 11-03 10:00, done 11-06 10:00
     -> cycle 72 h, lead 96 h, late.  (milestone MS)
  T3 urgent, A, due 11-10 00:00: todo 11-03 12:00, in_progress 11-04 12:00 -> overdue now. (MS)
  T4 low, M+A, no due: todo 11-04 08:00, done 11-04 20:00, todo 11-05 08:00 (reopened, joins MS),
     in_progress 11-05 10:00, done 11-07 10:00 -> started 11-05 10:00, cycle 48 h, lead 74 h,
     reopened once.
  T5 none, nobody, due 2099: todo 11-04 09:00 -> open, not overdue.
  T6 medium, M: todo 11-05 09:00, cancelled 11-06 09:00.
  T7 high, M, due 11-08: todo 11-05 10:00, deleted 11-06 11:00 -> in no figure after 11-06.
  T8 low, A, due 11-10 00:00 UTC: todo 11-09 12:00, in_progress 11-09 13:00, done 11-09 23:30
     UTC -> cycle 10.5 h, lead 11.5 h, on time; Berlin day 11-10, New York day 11-09.
Project Q: M member; T9 assigned to M, todo 11-10 08:00, in_progress 11-10 09:00.
Project R: M was a member and was removed 11-03; T10 assigned to M (done) -> not in /me.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from taskflow.events import (
    Envelope,
    MilestoneCreated,
    ProjectCreated,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskReopened,
    TaskSnapshot,
    TaskStatusChanged,
)
from taskflow.events.contracts.base import Event


def t(month_day: str) -> datetime:
    """`"11-05 09:00"` -> 2026-11-05T09:00Z."""
    day, hm = month_day.split()
    m, d = (int(x) for x in day.split("-"))
    h, mi = (int(x) for x in hm.split(":"))
    return datetime(2026, m, d, h, mi, tzinfo=UTC)


def uid(n: int) -> UUID:
    """Readable, sortable ids: uid(1) = 00000000-0000-0000-0000-000000000001."""
    return UUID(int=n)


O, A, M, V, X = uid(0xA1), uid(0xA2), uid(0xA3), uid(0xA4), uid(0xA5)  # noqa: E741
P, Q, R = uid(0x101), uid(0x102), uid(0x103)
MS = uid(0x201)


@dataclass
class Scenario:
    envelopes: list[Envelope] = field(default_factory=list)

    def add(self, event: Event, at: datetime) -> None:
        self.envelopes.append(
            Envelope.wrap(event, source="taskflow/tasks", actor_id=O, id=uuid4(), time=at)
        )


class TaskLog:
    """Builds successive snapshots of one task, each with the next version."""

    def __init__(self, sc: Scenario, n: int, project: UUID, **fields: Any) -> None:
        self.sc, self.version = sc, 0
        self.state: dict[str, Any] = {
            "task_id": uid(0x300 + n),
            "project_id": project,
            "key": f"P-{n}",
            "number": n,
            "title": f"Task {n}",
            "status": "todo",
            "priority": "none",
            "created_by": O,
            **fields,
        }

    def emit(self, cls: type[Event], at: datetime, **changes: Any) -> None:
        self.version += 1
        self.state.update(changes)
        if self.version == 1:
            self.state["created_at"] = at
        if self.state["status"] == "done" and "completed_at" not in changes:
            self.state.setdefault("completed_at", at)
        if self.state["status"] != "done":
            self.state["completed_at"] = None
        snap = TaskSnapshot(**{**self.state, "updated_at": at, "version": self.version})
        extra: dict[str, Any] = {}
        if cls is TaskStatusChanged:
            extra = {"before": changes.get("_before", "todo"), "after": self.state["status"]}
        self.sc.add(cls(task=snap, **extra), at)

    def status(self, status: str, at: datetime, **more: Any) -> None:
        before = self.state["status"]
        cls: type[Event] = TaskStatusChanged
        if status == "done":
            cls = TaskCompleted
            more.setdefault("completed_at", at)
        elif before == "done":
            cls = TaskReopened
        self.version += 1
        self.state.update(status=status, **more)
        if status != "done":
            self.state["completed_at"] = None
        snap = TaskSnapshot(**{**self.state, "updated_at": at, "version": self.version})
        extra = {"before": before, "after": status} if cls is TaskStatusChanged else {}
        self.sc.add(cls(task=snap, **extra), at)


def build() -> Scenario:
    sc = Scenario()
    for project, key in ((P, "P"), (Q, "Q"), (R, "R")):
        sc.add(
            ProjectCreated(
                project_id=project,
                key=key,
                name=key,
                owner_id=O,
                status="active",
                health="on_track",
            ),
            t("11-01 08:00"),
        )
    for user, role in ((O, "owner"), (A, "admin"), (M, "member"), (V, "viewer")):
        sc.add(ProjectMemberAdded(project_id=P, user_id=user, role=role), t("11-01 09:00"))
    sc.add(ProjectMemberAdded(project_id=Q, user_id=M, role="member"), t("11-01 09:00"))
    sc.add(ProjectMemberAdded(project_id=R, user_id=M, role="member"), t("11-01 09:00"))
    sc.add(ProjectMemberRemoved(project_id=R, user_id=M, role="member"), t("11-03 09:00"))
    sc.add(
        MilestoneCreated(milestone_id=MS, project_id=P, title="Beta", due_date=date(2026, 11, 7)),
        t("11-01 12:00"),
    )

    t1 = TaskLog(
        sc, 1, P, priority="high", assignee_ids=[M], due_at=t("11-06 17:00"), milestone_id=MS
    )
    t1.emit(TaskCreated, t("11-02 09:00"))
    t1.status("in_progress", t("11-03 09:00"))
    t1.status("done", t("11-05 09:00"))

    t2 = TaskLog(
        sc, 2, P, priority="medium", assignee_ids=[M], due_at=t("11-04 12:00"), milestone_id=MS
    )
    t2.emit(TaskCreated, t("11-02 10:00"))
    t2.status("in_progress", t("11-03 10:00"))
    t2.status("done", t("11-06 10:00"))

    t3 = TaskLog(
        sc, 3, P, priority="urgent", assignee_ids=[A], due_at=t("11-10 00:00"), milestone_id=MS
    )
    t3.emit(TaskCreated, t("11-03 12:00"))
    t3.status("in_progress", t("11-04 12:00"))

    t4 = TaskLog(sc, 4, P, priority="low", assignee_ids=[M, A])
    t4.emit(TaskCreated, t("11-04 08:00"))
    t4.status("done", t("11-04 20:00"))
    t4.status("todo", t("11-05 08:00"), milestone_id=MS)
    t4.status("in_progress", t("11-05 10:00"))
    t4.status("done", t("11-07 10:00"))

    t5 = TaskLog(sc, 5, P, due_at=datetime(2099, 1, 1, tzinfo=UTC))
    t5.emit(TaskCreated, t("11-04 09:00"))

    t6 = TaskLog(sc, 6, P, priority="medium", assignee_ids=[M])
    t6.emit(TaskCreated, t("11-05 09:00"))
    t6.status("cancelled", t("11-06 09:00"))

    t7 = TaskLog(sc, 7, P, priority="high", assignee_ids=[M], due_at=t("11-08 00:00"))
    t7.emit(TaskCreated, t("11-05 10:00"))
    t7.emit(TaskDeleted, t("11-06 11:00"), deleted_at=t("11-06 11:00"))

    t8 = TaskLog(sc, 8, P, priority="low", assignee_ids=[A], due_at=t("11-10 00:00"))
    t8.emit(TaskCreated, t("11-09 12:00"))
    t8.status("in_progress", t("11-09 13:00"))
    t8.status("done", t("11-09 23:30"))

    t9 = TaskLog(sc, 9, Q, assignee_ids=[M])
    t9.emit(TaskCreated, t("11-10 08:00"))
    t9.status("in_progress", t("11-10 09:00"))

    t10 = TaskLog(sc, 10, R, assignee_ids=[M])
    t10.emit(TaskCreated, t("11-02 08:00"))
    t10.status("done", t("11-02 09:00"))
    return sc


async def apply_all(maker: Any, envelopes: list[Envelope]) -> None:
    """Apply envelopes one transaction each through the consumer's handler function."""
    from taskflow.reporting.projection.handlers import apply_event

    for env in envelopes:
        async with maker() as session, session.begin():
            await apply_event(session, env, env.event())


T_IDS = {n: uid(0x300 + n) for n in range(1, 11)}
