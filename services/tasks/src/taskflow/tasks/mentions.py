"""@mentions in markdown (comments and task descriptions) resolved to project members.

Shared by comments and tasks so both name the same people for the same text.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.projects import repository as projects_repo

#: `@` + a user id, or `@` + an email, or `@` + the local part of a member's email.
MENTION = re.compile(
    r"(?<![\w@])@("
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|[A-Za-z0-9._-]*[A-Za-z0-9_]"
    r")"
)


async def resolve_mentions(db: AsyncSession, project_id: uuid.UUID, body: str) -> list[uuid.UUID]:
    """The members a text mentions, in order of first mention; others are ignored."""
    tokens = list(dict.fromkeys(m.group(1) for m in MENTION.finditer(body)))[:50]
    if not tokens:
        return []
    ids, words = [], []
    for t in tokens:
        try:
            ids.append(uuid.UUID(t))
        except ValueError:
            words.append(t.lower())
    rows = await projects_repo.members_matching(
        db,
        project_id,
        ids=ids,
        emails=[w for w in words if "@" in w],
        local_parts=[w for w in words if "@" not in w],
    )
    found = {uid: (email or "").lower() for uid, email in rows}
    out: list[uuid.UUID] = []
    for t in tokens:
        for uid, email in found.items():
            hit = (
                str(uid) == t.lower()
                or email == t.lower()
                or (email and email.split("@", 1)[0] == t.lower())
            )
            if hit and uid not in out:
                out.append(uid)
    return out


async def newly_mentioned(
    db: AsyncSession,
    project_id: uuid.UUID,
    before: str | None,
    after: str | None,
    actor_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """Members `after` mentions that `before` did not, without the actor.

    An edit that only touches other words must not notify everyone mentioned again, and
    nobody is told about their own mention.
    """
    if not after:
        return []
    now = await resolve_mentions(db, project_id, after)
    if not now:
        return []
    old = set(await resolve_mentions(db, project_id, before)) if before else set()
    return [u for u in now if u not in old and u != actor_id]
