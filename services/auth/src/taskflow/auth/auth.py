"""Who may call what in the auth service.

Other services trust a token until it expires; auth itself also checks on each call that the
token's session is still live and the account still active, so a revoked session or a
deactivated account cannot keep changing account settings with a leftover access token.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from taskflow.auth.db import utcnow
from taskflow.auth.errors import InteractiveSessionRequired
from taskflow.auth.sessions import repository as sessions
from taskflow.auth.users import repository as users
from taskflow.auth.users.models import User
from taskflow.common.db import SessionDep
from taskflow.common.errors import Forbidden, InvalidToken
from taskflow.common.security import CurrentPrincipal, Principal


@dataclass
class Caller:
    """The verified principal and its (active) account row."""

    principal: Principal
    user: User

    @property
    def session_id(self) -> uuid.UUID | None:
        sid = self.principal.session_id
        return uuid.UUID(sid) if sid else None


async def get_caller(principal: CurrentPrincipal, db: SessionDep) -> Caller:
    """The caller's active account; 401 when its session ended or the account is gone."""
    user = await users.get(db, principal.user_id)
    if user is None or not user.is_active:
        raise InvalidToken()
    if principal.session_id is not None:
        try:
            sid = uuid.UUID(principal.session_id)
        except ValueError:
            raise InvalidToken() from None
        sess = await sessions.get_session(db, sid)
        if (
            sess is None
            or sess.user_id != user.id
            or sess.revoked_at is not None
            or sess.expires_at <= utcnow()
        ):
            raise InvalidToken()
    return Caller(principal=principal, user=user)


async def get_interactive_caller(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """Account security (password, MFA, sessions, tokens) needs a signed-in session."""
    if caller.principal.session_id is None:
        raise InteractiveSessionRequired()
    return caller


async def get_admin(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    """403 unless the token acts as admin (role and `admin` scope) and the account, as it is
    now, still holds the role."""
    if not caller.principal.acts_as("admin") or "admin" not in caller.user.roles:
        raise Forbidden("You do not have the role this needs.")
    return caller


async def get_admin_session(
    caller: Annotated[Caller, Depends(get_interactive_caller)],
) -> Caller:
    """Changing accounts as an admin needs a signed-in session: a script token of an admin
    (from a personal access token, which carries the roles) must not hand out roles."""
    return await get_admin(caller)


AnyCaller = Annotated[Caller, Depends(get_caller)]
InteractiveCaller = Annotated[Caller, Depends(get_interactive_caller)]
AdminCaller = Annotated[Caller, Depends(get_admin)]
AdminSessionCaller = Annotated[Caller, Depends(get_admin_session)]
