"""Rules of invitations. Services never commit: the request (or message) scope does.

Joining rests on the address alone: the worker makes a user a member when auth reports that
account's address as verified (`user.registered` or `user.updated` with `email_verified`),
whether or not the invitation link was used. The link's token is for the register page only
(`lookup`): it shows what the invitation is and fills in the address. A token could add
nothing to the proof: whoever reads the mailbox holds both it and the verification link.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.common.pagination import Page, PageParams
from taskflow.events.contracts.projects import (
    ProjectInvitationAccepted,
    ProjectInvitationCreated,
    ProjectInvitationMailRequested,
    ProjectInvitationRevoked,
)
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.config import Settings
from taskflow.tasks.invitations import repository as repo
from taskflow.tasks.invitations.errors import TooManyInvitations
from taskflow.tasks.invitations.models import Invitation
from taskflow.tasks.invitations.schemas import InvitationPreview, InvitationRead, to_read
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects import service as projects
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.projects.models import Project
from taskflow.tasks.users import repository as users_repo
from taskflow.tasks.users.models import User

log = get_logger(__name__)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def normalise(email: str) -> str:
    """Addresses are compared as the users projection stores them: trimmed, lower case."""
    return email.strip().lower()


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a link token, as stored: a leaked table opens no invitation."""
    return hashlib.sha256(token.encode()).hexdigest()


async def add_or_invite(
    db: AsyncSession,
    access: ProjectAccess,
    user: User | None,
    email: str,
    role: str,
    settings: Settings,
) -> None:
    """Add `user`, or invite `email` when no account has it, for a caller who may not see
    whose address they gave.

    Every check that does not depend on the address runs either way (the grant, the project
    lock, the caps on pending invitations and on one inviter's invitations a day), so that an
    address with an account and one without meet the same refusals and the same success.
    """
    projects.check_grant(access, role)
    project = await projects.locked(db, access)
    ts = now()
    if await repo.count_live(db, project.id, now=ts) >= settings.invitations_max_pending:
        raise TooManyInvitations(
            f"The project has {settings.invitations_max_pending} pending invitations; revoke"
            " some or wait for them to be accepted."
        )
    daily = settings.invitations_max_per_inviter_per_day
    if await repo.count_sent_by(db, access.user_id, since=ts - timedelta(days=1)) >= daily:
        raise TooManyInvitations(
            f"You invited {daily} addresses in the last 24 hours; try again later."
        )
    if user is not None:
        if user.is_active:
            await projects.add_member(db, access, user, role)
        return
    address = normalise(email)
    # A deactivated account keeps its address: such an address gets neither a member nor an
    # invitation it could never use (registration would refuse the address).
    if await users_repo.email_known(db, address):
        return
    await _invite(db, access, project, address, role, settings)


async def _invite(
    db: AsyncSession,
    access: ProjectAccess,
    project: Project,
    email: str,
    role: str,
    settings: Settings,
) -> None:
    """Create the pending invitation, or renew the one the address has (a new token, role,
    inviter and expiry: the previous link stops working), and ask for its mail."""
    ts = now()
    token = secrets.token_urlsafe(32)
    expires = ts + timedelta(days=settings.invitation_ttl_days)
    row = await repo.pending_for_update(db, project.id, email)
    renewed = row is not None
    if row is None:
        row = Invitation(
            project_id=project.id,
            email=email,
            role=role,
            invited_by=access.user_id,
            token_hash=token_digest(token),
            created_at=ts,
            updated_at=ts,
            expires_at=expires,
        )
        db.add(row)
    else:
        row.role, row.invited_by = role, access.user_id
        row.token_hash, row.updated_at, row.expires_at = token_digest(token), ts, expires
    await db.flush()
    activity.record(
        db,
        project_id=project.id,
        actor_id=access.user_id,
        action="project.invitation_created",
        changes={
            "invitation_id": {"before": None, "after": str(row.id)},
            "email": {"before": None, "after": email},
            "role": {"before": None, "after": role},
        },
    )
    await ev.emit(
        db,
        ProjectInvitationCreated(
            project_id=project.id,
            invitation_id=row.id,
            email=email,
            role=role,
            invited_by=access.user_id,
            expires_at=expires,
            renewed=renewed,
        ),
        access.user_id,
    )
    inviter = await db.get(User, access.user_id)
    base = settings.public_base_url.rstrip("/")
    await ev.emit(
        db,
        ProjectInvitationMailRequested(
            project_id=project.id,
            invitation_id=row.id,
            email=email,
            project_name=project.name,
            inviter_name=inviter.display_name if inviter is not None else None,
            role=role,
            invite_url=f"{base}/register?invite={token}",
            expires_at=expires,
        ),
        access.user_id,
    )


async def list_pending(
    db: AsyncSession, access: ProjectAccess, page: PageParams
) -> Page[InvitationRead]:
    """The project's pending, unexpired invitations (admin)."""
    result = await repo.list_live(db, access.project_id, now=now(), page=page)
    return Page[InvitationRead](
        items=[to_read(r) for r in result.items], next_cursor=result.next_cursor
    )


async def revoke(db: AsyncSession, access: ProjectAccess, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation (admin); its link and its address no longer join."""
    project = await projects.locked(db, access)
    row = await repo.live_for_update(db, invitation_id, now=now())
    if row is None or row.project_id != project.id:
        raise not_found("invitation")
    ts = now()
    row.state, row.revoked_by, row.revoked_at, row.updated_at = "revoked", access.user_id, ts, ts
    activity.record(
        db,
        project_id=project.id,
        actor_id=access.user_id,
        action="project.invitation_revoked",
        changes={
            "invitation_id": {"before": str(row.id), "after": None},
            "email": {"before": row.email, "after": None},
        },
    )
    await ev.emit(
        db,
        ProjectInvitationRevoked(project_id=project.id, invitation_id=row.id, email=row.email),
        access.user_id,
    )


async def accept_for(db: AsyncSession, user_id: uuid.UUID, email: str) -> int:
    """Honour every live invitation of `email`, whose owner `user_id` has just been verified.

    Idempotent: an accepted invitation is no longer pending, so a redelivered event (or a
    later profile update) joins nothing twice. Each project row is locked before its
    invitation, in the same order as the api's writers, so a revoke, a renewal or an ordinary
    add running at the same moment is either before or after this, never half. The member is
    added on behalf of the inviter (the `project.member_added` actor), as if they had added an
    existing account; the acceptance itself is the new member's act. Returns how many joined.
    """
    address = normalise(email)
    joined = 0
    for project_id, invitation_id in await repo.live_for_email(db, address, now=now()):
        project = await projects_repo.get_for_update(db, project_id)
        if project is None:
            continue  # in the trash: the invitation waits (a restore brings it back)
        row = await repo.live_for_update(db, invitation_id, now=now())
        if row is None or row.email != address:
            continue  # revoked, renewed to another token or expired meanwhile
        ts = now()
        row.state, row.accepted_by, row.accepted_at, row.updated_at = "accepted", user_id, ts, ts
        already = await projects_repo.get_member(db, project.id, user_id) is not None
        if not already:
            await projects.join(db, project, user_id, row.role, actor_id=row.invited_by)
            joined += 1
        await ev.emit(
            db,
            ProjectInvitationAccepted(
                project_id=project.id,
                invitation_id=row.id,
                email=address,
                user_id=user_id,
                role=row.role,
                already_member=already,
            ),
            user_id,
        )
        log.info("invitation_accepted", project_id=str(project.id), user_id=str(user_id))
    return joined


async def lookup(db: AsyncSession, token: str) -> InvitationPreview | None:
    """What a live invitation link is about, for the register page (None when not live)."""
    row = await repo.by_token_hash(db, token_digest(token), now=now())
    if row is None:
        return None
    project = await projects_repo.get(db, row.project_id)
    if project is None or project.deleted_at is not None:
        return None
    inviter = await db.get(User, row.invited_by)
    return InvitationPreview(
        email=row.email,
        project_name=project.name,
        inviter_name=inviter.display_name if inviter is not None else None,
        role=row.role,
        expires_at=row.expires_at,
    )
