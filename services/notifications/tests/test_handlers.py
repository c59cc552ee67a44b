"""Notifications from events on the real database: recipients, content, mails queued,
idempotency (notifications/handlers.py, through the worker's handler map)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from notifications_testkit import (
    assigned,
    comment,
    created,
    member,
    project,
    snapshot,
    uid,
    updated,
    user,
)
from sqlalchemy import select

from taskflow.events.contracts.tasks import TaskDependencyAdded, TaskRef, TaskUnblocked
from taskflow.events.contracts.users import UserEmailChangeRequested
from taskflow.events.envelope import Envelope
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.projections.models import TaskProjection


async def _notes(sessionmaker: Any) -> list[Notification]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(Notification).order_by(Notification.created_at)))


async def _mails(sessionmaker: Any) -> list[Delivery]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(Delivery).where(Delivery.channel == "email")))


async def test_created_task_notifies_assignees_not_the_actor(apply: Any, sessionmaker: Any) -> None:
    actor, alice, bob, proj, task = uid(), uid(), uid(), uid(), uid()
    await apply(user(actor, name="Carol"))
    await apply(user(alice))
    await apply(user(bob, verified=False))
    snap = snapshot(task, proj, creator=actor, assignees=[actor, alice, bob])
    await apply(created(snap), actor=actor)

    notes = await _notes(sessionmaker)
    assert sorted(n.user_id for n in notes) == sorted([alice, bob])
    note = next(n for n in notes if n.user_id == alice)
    assert note.kind == "task_assigned"
    assert note.title == "Carol assigned you OPS-1 Reconcile ledger"
    assert note.link == f"http://spa.test/projects/{proj}/tasks/{task}"
    mails = await _mails(sessionmaker)
    # Mail only to the verified address.
    assert [m.user_id for m in mails] == [alice]
    assert mails[0].payload is not None
    assert "Open in Taskflow: http://spa.test/projects/" in mails[0].payload["text"]
    assert '<a href="http://spa.test/projects/' in mails[0].payload["html"]


async def test_same_event_twice_makes_one_notification(apply: Any, sessionmaker: Any) -> None:
    actor, alice, proj, task = uid(), uid(), uid(), uid()
    await apply(user(alice))
    env = Envelope.wrap(
        created(snapshot(task, proj, creator=actor, assignees=[alice])),
        source="taskflow/tasks",
        actor_id=actor,
    )
    await apply(None, envelope=env)
    await apply(None, envelope=env)
    assert len(await _notes(sessionmaker)) == 1
    assert len(await _mails(sessionmaker)) == 1


async def test_update_of_watched_task_and_stale_events(apply: Any, sessionmaker: Any) -> None:
    actor, alice, watcher, proj, task = uid(), uid(), uid(), uid(), uid()
    s1 = snapshot(task, proj, creator=actor, assignees=[alice], watchers=[watcher], version=1)
    await apply(created(s1), actor=actor)
    due = datetime.now(UTC) + timedelta(days=2)
    s3 = snapshot(
        task, proj, creator=actor, assignees=[alice], watchers=[watcher], version=3, due_at=due
    )
    await apply(updated(s3, due_at=(None, due.isoformat())), actor=actor)
    # An older snapshot arriving late does not roll the projection back.
    s2 = snapshot(
        task, proj, creator=actor, assignees=[alice], watchers=[watcher], version=2, title="Old"
    )
    await apply(updated(s2, title=("x", "Old")), actor=actor)
    async with sessionmaker() as s:
        row = await s.get(TaskProjection, task)
    assert row is not None
    assert row.version == 3
    assert row.title == "Reconcile ledger"
    assert row.due_at == due
    kinds = sorted((n.user_id == watcher, n.kind) for n in await _notes(sessionmaker))
    assert (True, "task_due") in kinds
    assert (False, "task_due") in kinds


async def test_assignment_only_updates_are_quiet(apply: Any, sessionmaker: Any) -> None:
    actor, alice, proj, task = uid(), uid(), uid(), uid()
    s1 = snapshot(task, proj, creator=actor, version=1)
    await apply(created(s1), actor=actor)
    s2 = snapshot(task, proj, creator=actor, version=2, assignees=[alice])
    await apply(assigned(s2, alice), actor=actor)
    await apply(updated(s2, assignee_ids=([], [str(alice)])), actor=actor)
    notes = await _notes(sessionmaker)
    assert [(n.user_id, n.kind) for n in notes] == [(alice, "task_assigned")]


async def test_mentions_reach_members_only(apply: Any, sessionmaker: Any) -> None:
    author, alice, outsider, watcher, proj, task = uid(), uid(), uid(), uid(), uid(), uid()
    for u in (author, alice, outsider, watcher):
        await apply(user(u))
    await apply(project(proj, author))
    for u in (author, alice, watcher):
        await apply(member(proj, u), actor=author)
    await apply(created(snapshot(task, proj, creator=author, watchers=[watcher])), actor=author)
    await apply(
        comment(task, proj, author, "@alice @outsider please check", [alice, outsider]),
        actor=author,
    )
    notes = [n for n in await _notes(sessionmaker) if n.kind in ("mentioned", "comment_added")]
    assert sorted((n.user_id, n.kind) for n in notes) == sorted(
        [(alice, "mentioned"), (watcher, "comment_added")]
    )
    mention = next(n for n in notes if n.kind == "mentioned")
    assert mention.body == "@alice @outsider please check"


async def test_description_mentions_reach_members_only(apply: Any, sessionmaker: Any) -> None:
    """task.created / task.updated mentions notify like a comment's: members only, never the
    actor, and a mention beats being assigned or a plain update."""
    author, alice, bob, outsider, proj, task = uid(), uid(), uid(), uid(), uid(), uid()
    await apply(user(author, name="Carol"))
    for u in (alice, bob, outsider):
        await apply(user(u))
    await apply(project(proj, author))
    for u in (author, alice, bob):
        await apply(member(proj, u), actor=author)
    s1 = snapshot(task, proj, creator=author, assignees=[alice], version=1)
    await apply(created(s1, mentions=[alice, outsider, author]), actor=author)
    notes = [n for n in await _notes(sessionmaker) if n.kind != "member_added"]
    assert [(n.user_id, n.kind) for n in notes] == [(alice, "mentioned")]
    assert notes[0].title == "Carol mentioned you in the description of OPS-1 Reconcile ledger"
    s2 = snapshot(task, proj, creator=author, assignees=[alice], version=2)
    await apply(updated(s2, mentions=[bob], description=("a", "b")), actor=author)
    notes = [n for n in await _notes(sessionmaker) if n.kind != "member_added"]
    assert sorted((n.user_id, n.kind) for n in notes[1:]) == sorted(
        [(bob, "mentioned"), (alice, "task_updated")]
    )
    assert outsider not in {n.user_id for n in notes}


async def test_member_added_notifies_the_member(apply: Any, sessionmaker: Any) -> None:
    owner, alice, proj = uid(), uid(), uid()
    await apply(user(owner, name="Owner"))
    await apply(project(proj, owner, name="Payments"))
    await apply(member(proj, alice), actor=owner)
    await apply(member(proj, owner), actor=owner)
    notes = await _notes(sessionmaker)
    assert [(n.user_id, n.title) for n in notes] == [(alice, "Owner added you to Payments")]


async def test_email_change_mails_the_link_to_the_new_address_a_notice_to_the_old(
    apply: Any, sessionmaker: Any
) -> None:
    who = uid()
    await apply(user(who, verified=True))
    await apply(
        UserEmailChangeRequested(
            user_id=who,
            email="new@example.test",
            old_email="old@example.test",
            display_name="Ada",
            confirm_url="http://spa.test/confirm-email?token=one-time-change",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
        actor=who,
    )
    mails = {m.recipient: m for m in await _mails(sessionmaker)}
    assert set(mails) == {"new@example.test", "old@example.test"}
    link, notice = mails["new@example.test"], mails["old@example.test"]
    assert (link.kind, notice.kind) == ("email_change", "email_change_notice")
    assert link.payload is not None
    assert notice.payload is not None
    assert "one-time-change" in link.payload["text"]
    # The old address hears of it, but never gets the link that would take the account.
    assert "one-time-change" not in notice.payload["text"] + notice.payload["html"]
    assert "new@example.test" in notice.payload["text"]


async def test_deactivated_user_gets_nothing(apply: Any, sessionmaker: Any) -> None:
    from taskflow.events.contracts.users import UserDeactivated

    actor, alice, proj, task = uid(), uid(), uid(), uid()
    await apply(user(alice))
    await apply(UserDeactivated(user_id=alice))
    await apply(created(snapshot(task, proj, creator=actor, assignees=[alice])), actor=actor)
    assert await _notes(sessionmaker) == []


async def test_webhook_disabled_tells_the_listed_admins_only(apply: Any, sessionmaker: Any) -> None:
    from taskflow.events.contracts.webhooks import WebhookDisabled

    owner, admin, plain, proj = uid(), uid(), uid(), uid()
    for who in (owner, admin, plain):
        await apply(user(who))
    await apply(project(proj, owner, name="Payments"))
    event = WebhookDisabled(
        webhook_id=uid(),
        project_id=proj,
        url_host="hooks.example.com",
        failing_since=datetime.now(UTC) - timedelta(days=5),
        admin_ids=[owner, admin],
    )
    env = await apply(event)
    await apply(event, envelope=env)  # redelivered: still one notice each
    notes = await _notes(sessionmaker)
    assert sorted(n.user_id for n in notes) == sorted([owner, admin])
    assert {n.kind for n in notes} == {"webhook_disabled"}
    assert notes[0].title == "A webhook of Payments was turned off"
    assert "hooks.example.com" in notes[0].body
    assert sorted(m.user_id for m in await _mails(sessionmaker)) == sorted([owner, admin])


async def test_unblocked_task_tells_its_assignees_not_the_actor(
    apply: Any, sessionmaker: Any
) -> None:
    actor, alice, watcher, proj, task = uid(), uid(), uid(), uid(), uid()
    await apply(user(actor, name="Carol"))
    await apply(user(alice))
    s1 = snapshot(task, proj, creator=actor, assignees=[actor, alice], watchers=[watcher])
    await apply(created(s1), actor=actor)
    blocker = TaskRef(
        task_id=uid(),
        project_id=proj,
        key="OPS-2",
        title="Order certs",
        status="Shipped",
        status_category="done",
    )
    await apply(TaskDependencyAdded(task=s1, blocker=blocker), actor=actor)
    await apply(TaskUnblocked(task=s1, blocker=blocker), actor=actor)
    notes = [n for n in await _notes(sessionmaker) if n.kind == "task_unblocked"]
    assert [n.user_id for n in notes] == [alice]
    assert notes[0].title == "OPS-1 Reconcile ledger is no longer blocked"
    assert notes[0].body == "OPS-2 Order certs is finished: you can start."
    mails = [m for m in await _mails(sessionmaker) if m.kind == "task_unblocked"]
    assert [m.user_id for m in mails] == [alice]  # mail by default: it needs action


async def test_a_blocker_in_another_project_is_named_only_to_its_members(
    apply: Any, sessionmaker: Any
) -> None:
    """The unblocked notice does not show a task of a project the assignee cannot read."""
    actor, alice, bob, proj, other, task = uid(), uid(), uid(), uid(), uid(), uid()
    for person in (actor, alice, bob):
        await apply(user(person))
    await apply(member(other, bob, role="member"), actor=actor)
    s1 = snapshot(task, proj, creator=actor, assignees=[alice, bob])
    await apply(created(s1), actor=actor)
    blocker = TaskRef(
        task_id=uid(),
        project_id=other,
        key="SEC-9",
        title="Merger due diligence",
        status="Done",
        status_category="done",
    )
    await apply(TaskUnblocked(task=s1, blocker=blocker), actor=actor)
    notes = {n.user_id: n for n in await _notes(sessionmaker) if n.kind == "task_unblocked"}
    assert set(notes) == {alice, bob}
    assert notes[bob].body == "SEC-9 Merger due diligence is finished: you can start."
    assert "SEC-9" not in (notes[alice].body or "")
    assert "Merger" not in (notes[alice].body or "")
    mail = next(
        m for m in await _mails(sessionmaker) if m.kind == "task_unblocked" and m.user_id == alice
    )
    assert mail.payload is not None
    assert "Merger" not in mail.payload["text"]
    assert "Merger" not in mail.payload["html"]


async def test_moved_task_tells_who_stays_and_the_projection_follows(
    apply: Any, sessionmaker: Any
) -> None:
    """`task.moved`: the assignees who stayed hear it, the projection takes the new project."""
    from taskflow.events.contracts.tasks import TaskMoved, TaskUnassigned

    actor, alice, bob, src, dst, task = uid(), uid(), uid(), uid(), uid(), uid()
    await apply(user(actor, name="Carol"))
    await apply(user(alice))
    await apply(user(bob))
    await apply(created(snapshot(task, src, creator=actor, assignees=[alice, bob])), actor=actor)
    moved = snapshot(task, dst, creator=actor, assignees=[alice], version=2)
    await apply(
        TaskMoved(
            task=moved,
            from_project_id=src,
            to_project_id=dst,
            from_key="OPS-1",
            removed_assignee_ids=[bob],
        ),
        actor=actor,
    )
    await apply(TaskUnassigned(task=moved, assignee_id=bob), actor=actor)
    async with sessionmaker() as s:
        row = await s.get(TaskProjection, task)
    assert row is not None
    assert (row.project_id, row.version) == (dst, 2)
    notes = [n for n in await _notes(sessionmaker) if n.kind != "task_assigned"]
    assert sorted((n.user_id == alice, n.title) for n in notes) == [
        (False, "Carol changed the assignees of OPS-1 Reconcile ledger"),
        (True, "Carol moved OPS-1 Reconcile ledger to another project"),
    ]
