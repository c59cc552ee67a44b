"""Bulk changes: up to 500 operations, all applied or none.

Each operation runs in a savepoint so that every failing item can be reported (not only the
first); when any item fails the whole request is refused with 409 `bulk_rejected` and the
request transaction rolls back. Authorization is per item: a task of a project the caller is
not in fails as `task_not_found`, exactly like a task that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import check_version
from taskflow.common.errors import Conflict, ProblemError
from taskflow.common.security import Principal
from taskflow.tasks.projects.auth import not_found
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks import service
from taskflow.tasks.tasks.auth import task_access
from taskflow.tasks.tasks.schemas import BulkItemResult, BulkOperation, BulkRequest, BulkResult


async def _apply(db: AsyncSession, who: Principal, op: BulkOperation) -> int:
    if op.op == "restore":
        access = await task_access(db, who, op.task_id, "member", deleted=True)
        return (await service.restore(db, access, op.task_id, op.version)).version
    access = await task_access(db, who, op.task_id, "member")
    if op.op == "delete":
        return (await service.delete(db, access, op.task_id, op.version)).version
    access.require_writable()
    task = await repo.get_for_update(db, op.task_id)
    if task is None:
        raise not_found("task")
    check_version(task, op.version)
    fields: dict[str, Any]
    if op.op == "update":
        assert op.changes is not None
        fields = op.changes.model_dump(exclude_unset=True)
    else:  # move: a board move (column, order, milestone)
        fields = op.model_dump(
            include={"status", "status_id", "position", "milestone_id"}, exclude_none=True
        )
    return (await service.apply_changes(db, access, task, fields)).version


async def run(db: AsyncSession, who: Principal, request: BulkRequest) -> BulkResult:
    """Apply every operation, or none (409 with a result per item)."""
    ops = request.operations
    projects = await repo.lock_many(db, [op.task_id for op in ops])
    # Project counters are updated in project order, so two bulks never wait on each other's
    # project rows in opposite orders (a stable sort keeps each task's own operations in order).
    order = sorted(
        range(len(ops)), key=lambda i: str(projects.get(ops[i].task_id, uuid.UUID(int=0)))
    )
    results: dict[int, BulkItemResult] = {}
    failed = False
    for i in order:
        op = ops[i]
        try:
            async with db.begin_nested():
                version = await _apply(db, who, op)
            results[i] = BulkItemResult(index=i, task_id=op.task_id, status="ok", version=version)
        except ProblemError as exc:
            failed = True
            results[i] = BulkItemResult(
                index=i,
                task_id=op.task_id,
                status="failed",
                code=exc.code,
                detail=exc.detail,
                errors=exc.extra.get("errors"),
            )
    ordered = [results[i] for i in range(len(ops))]
    if failed:
        for r in ordered:
            if r.status == "ok":
                r.status, r.version = "not_applied", None
        raise Conflict(
            "Some operations failed; nothing was changed.",
            code="bulk_rejected",
            results=[r.model_dump(mode="json") for r in ordered],
        )
    return BulkResult(results=ordered)
