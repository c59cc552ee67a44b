"""Helpers of the notifications tests (conftest puts this folder on the path): builders of v1
events with sensible defaults, and reading deliveries, setting preferences, publishing and
draining.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from taskflow.events.contracts.comments import CommentAdded
from taskflow.events.contracts.projects import ProjectCreated, ProjectMemberAdded
from taskflow.events.contracts.tasks import (
    Reminder,
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskSnapshot,
    TaskUpdated,
)
from taskflow.events.contracts.users import (
    UserPasswordResetRequested,
    UserRegistered,
    UserVerificationRequested,
)
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.preferences.models import Preferences


def uid() -> uuid.UUID:
    return uuid.uuid4()


def user(user_id: uuid.UUID, *, verified: bool = True, name: str | None = None) -> UserRegistered:
    return UserRegistered(
        user_id=user_id,
        email=f"{user_id.hex[:10]}@example.test",
        display_name=name or f"User {user_id.hex[:4]}",
        timezone="UTC",
        email_verified=verified,
    )


def project(project_id: uuid.UUID, owner: uuid.UUID, name: str = "Ops") -> ProjectCreated:
    return ProjectCreated(
        project_id=project_id,
        key="OPS",
        name=name,
        owner_id=owner,
        status="active",
        health="on_track",
    )


def member(project_id: uuid.UUID, user_id: uuid.UUID, role: str = "member") -> ProjectMemberAdded:
    return ProjectMemberAdded(project_id=project_id, user_id=user_id, role=role)  # type: ignore[arg-type]


def snapshot(
    task_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    creator: uuid.UUID,
    version: int = 1,
    assignees: list[uuid.UUID] | None = None,
    watchers: list[uuid.UUID] | None = None,
    title: str = "Reconcile ledger",
    status: str = "todo",
    due_at: datetime | None = None,
    reminders: list[Reminder] | None = None,
    deleted: bool = False,
    **extra: Any,
) -> TaskSnapshot:
    now = datetime.now(UTC)
    return TaskSnapshot(
        task_id=task_id,
        project_id=project_id,
        key="OPS-1",
        number=1,
        title=title,
        status=status,  # type: ignore[arg-type]
        priority="medium",
        assignee_ids=assignees or [],
        watcher_ids=watchers or [],
        due_at=due_at,
        reminders=reminders or [],
        created_by=creator,
        created_at=now,
        updated_at=now,
        deleted_at=now if deleted else None,
        completed_at=now if status == "done" else None,
        version=version,
        **extra,
    )


def created(snap: TaskSnapshot, mentions: list[uuid.UUID] | None = None) -> TaskCreated:
    return TaskCreated(task=snap, mentions=mentions or [])


def updated(
    snap: TaskSnapshot, mentions: list[uuid.UUID] | None = None, **changes: tuple[Any, Any]
) -> TaskUpdated:
    return TaskUpdated(
        task=snap,
        changes={k: {"before": b, "after": a} for k, (b, a) in changes.items()},  # type: ignore[misc]
        mentions=mentions or [],
    )


def assigned(snap: TaskSnapshot, assignee: uuid.UUID) -> TaskAssigned:
    return TaskAssigned(task=snap, assignee_id=assignee)


def completed(snap: TaskSnapshot) -> TaskCompleted:
    return TaskCompleted(task=snap)


def deleted(snap: TaskSnapshot) -> TaskDeleted:
    return TaskDeleted(task=snap)


def comment(
    task_id: uuid.UUID,
    project_id: uuid.UUID,
    author: uuid.UUID,
    body: str,
    mentions: list[uuid.UUID],
) -> CommentAdded:
    return CommentAdded(
        comment_id=uid(),
        task_id=task_id,
        project_id=project_id,
        author_id=author,
        body=body,
        mentions=mentions,
        task_key="OPS-1",
        task_title="Reconcile ledger",
    )


def verification(user_id: uuid.UUID, email: str) -> UserVerificationRequested:
    return UserVerificationRequested(
        user_id=user_id,
        email=email,
        display_name="New Person",
        verify_url="http://spa.test/verify?token=one-time-secret",
        expires_at=datetime.now(UTC),
    )


def reset(user_id: uuid.UUID, email: str) -> UserPasswordResetRequested:
    return UserPasswordResetRequested(
        user_id=user_id,
        email=email,
        display_name="Someone",
        reset_url="http://spa.test/reset?token=one-time-reset",
        expires_at=datetime.now(UTC),
    )


async def deliveries(sessionmaker: Any, channel: str | None = None) -> list[Delivery]:
    async with sessionmaker() as s:
        stmt = select(Delivery).order_by(Delivery.created_at, Delivery.id)
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        return list(await s.scalars(stmt))


async def set_prefs(sessionmaker: Any, user_id: uuid.UUID, **values: Any) -> None:
    async with sessionmaker() as s, s.begin():
        await s.merge(Preferences(user_id=user_id, **values))


async def drain_sender(worker: Any, rounds: int = 5) -> None:
    """Run sender passes until one handles nothing."""
    for _ in range(rounds):
        if not await worker.sender.run_once():
            return


async def publish(
    amqp_url: str, exchange: str, body: bytes, routing_key: str, message_id: str
) -> None:
    """Publish one message to the events exchange as a producer's relay would."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await ex.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )
    finally:
        await connection.close()
