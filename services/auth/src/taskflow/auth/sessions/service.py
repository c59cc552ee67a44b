"""Login, second factor, refresh-token rotation with reuse detection, and sessions.

Some writes must survive the error answer they lead to (a failed-login event, the revocation
of a family whose spent token came back, an MFA attempt counter). The request's session rolls
back on error, so those go through `_security_write`: a short transaction of their own. It is
the one place where this service commits outside the request scope, on purpose.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.crypto import new_token, token_hash
from taskflow.auth.db import OUTBOX, utcnow
from taskflow.auth.deps import AuthContext, ClientInfo
from taskflow.auth.errors import InvalidCredentials, InvalidMfaCode, InvalidRefreshToken
from taskflow.auth.keys.service import MintedToken
from taskflow.auth.mfa.service import verify_second_factor
from taskflow.auth.sessions import repository
from taskflow.auth.sessions.models import MfaChallenge, Session
from taskflow.auth.sessions.throttle import LoginThrottle
from taskflow.auth.users import repository as users
from taskflow.auth.users.models import User
from taskflow.common.errors import TooManyRequests
from taskflow.common.logging import get_logger
from taskflow.common.scopes import format_scopes, scopes_for_roles
from taskflow.common.security_events import security_event
from taskflow.events.contracts.users import UserLoginFailed

log = get_logger(__name__)

REFRESH_PREFIX = "tfr_"
MFA_PREFIX = "tfm_"


@dataclass(frozen=True)
class IssuedTokens:
    """What a successful sign-in or refresh hands out."""

    access: MintedToken
    refresh_token: str
    refresh_expires_at: datetime
    session_id: uuid.UUID
    cookie_mode: bool


@dataclass(frozen=True)
class MfaChallengeIssued:
    token: str
    expires_in: int


async def _security_write(
    ctx: AuthContext, work: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """Run `work` in its own committed transaction (see module docstring)."""
    async with ctx.sessionmaker() as session, session.begin():
        await work(session)


async def _login_failed(
    ctx: AuthContext, user: User | None, email: str, client: ClientInfo, reason: str
) -> None:
    """Record a refused sign-in: a `security_event` line (ASVS 16.3.1: failed authentication
    is logged, not only success) and the `user.login_failed` event for the audit trail. The
    line names the account by id only; an unknown address is not written to the log."""
    security_event(
        "sign_in",
        outcome="failure",
        user_id=user.id if user else None,
        client_ip=client.ip,
        user_agent=client.user_agent,
        reason=reason,
    )
    event = UserLoginFailed(
        user_id=user.id if user else None,
        email=email,
        ip=client.ip,
        user_agent=client.user_agent,
        reason=reason,
    )

    async def work(session: AsyncSession) -> None:
        await OUTBOX.add(session, event, actor_id=user.id if user else None)

    await _security_write(ctx, work)


async def _reserve(
    throttle: LoginThrottle, ident: str, client: ClientInfo, user_id: uuid.UUID | None
) -> None:
    """Count the attempt; a refused (throttled) one is a `security_event` too, so a guessing
    run shows in the log after the allowance is spent, not only up to it."""
    try:
        await throttle.reserve(ident, client.ip)
    except TooManyRequests as refused:
        security_event(
            "sign_in",
            outcome="throttled",
            user_id=user_id,
            client_ip=client.ip,
            user_agent=client.user_agent,
            reason=refused.code,
            step=throttle.scope,
        )
        raise


async def login(
    db: AsyncSession,
    ctx: AuthContext,
    client: ClientInfo,
    *,
    email: str,
    password: str,
    cookie_mode: bool,
) -> IssuedTokens | MfaChallengeIssued:
    """Check the password (same answer and cost for unknown emails) and start a session.

    The attempt is counted before the password is looked at (see `throttle`), and no
    database connection is held while the password is hashed: the account is read on a
    connection returned at once, and the request's own session first touches the database
    after the hash. A burst of sign-ins then waits for the hasher, not for the pool.
    """
    await _reserve(ctx.throttle, email, client, None)
    async with ctx.sessionmaker() as lookup:
        found = await users.get_by_email(lookup, email)
    new_hash: str | None = None
    if found is None:
        await ctx.hasher.verify_dummy(password)
        ok, reason = False, "unknown_email"
    else:
        ok = await ctx.hasher.verify(found.password_hash, password)
        reason = "bad_password" if not ok else "inactive"
        ok = ok and found.is_active
        if ok and ctx.hasher.needs_rehash(found.password_hash):
            new_hash = await ctx.hasher.hash(password)
    if not ok:
        await _login_failed(ctx, found, email, client, reason)
        log.info("login_failed", reason=reason, user_id=str(found.id) if found else None)
        raise InvalidCredentials()
    assert found is not None
    user = await users.get(db, found.id)
    if user is None or not user.is_active or user.password_hash != found.password_hash:
        raise InvalidCredentials()  # changed while the password was being checked
    await ctx.throttle.succeeded(email, client.ip)
    if new_hash is not None:
        user.password_hash = new_hash
        log.info("password_rehashed", user_id=str(user.id))
    if user.mfa_enabled:
        return await _issue_challenge(db, ctx, user, cookie_mode)
    return await start_session(db, ctx, user, client, cookie_mode=cookie_mode, mfa=False)


async def _issue_challenge(
    db: AsyncSession, ctx: AuthContext, user: User, cookie_mode: bool
) -> MfaChallengeIssued:
    token = new_token(MFA_PREFIX)
    ttl = ctx.settings.mfa_challenge_ttl_seconds
    await repository.add_challenge(
        db,
        MfaChallenge(
            user_id=user.id,
            token_hash=token_hash(token),
            cookie_mode=cookie_mode,
            attempts=0,
            expires_at=utcnow() + timedelta(seconds=ttl),
        ),
    )
    return MfaChallengeIssued(token=token, expires_in=ttl)


async def login_mfa(
    db: AsyncSession, ctx: AuthContext, client: ClientInfo, *, mfa_token: str, code: str
) -> IssuedTokens:
    """Finish a sign-in with a TOTP or recovery code; the challenge is single use.

    The attempt is counted on the challenge first (one conditional UPDATE, committed on its
    own) and then in the MFA throttle, and only then is the code looked at: however many
    guesses arrive at once, at most `mfa_challenge_max_attempts` of them are evaluated.
    """
    hashed = token_hash(mfa_token)
    counted: tuple[uuid.UUID, uuid.UUID] | None = None

    async def count_attempt(session: AsyncSession) -> None:
        nonlocal counted
        counted = await repository.count_challenge_attempt(
            session, hashed, max_attempts=ctx.settings.mfa_challenge_max_attempts, now=utcnow()
        )

    await _security_write(ctx, count_attempt)
    if counted is None:
        raise InvalidMfaCode()
    challenge_id, user_id = counted
    await _reserve(ctx.mfa_throttle, str(user_id), client, user_id)
    challenge = await repository.find_challenge(db, hashed)
    user = await users.get(db, user_id)
    if challenge is None or user is None or not user.is_active or not user.mfa_enabled:
        raise InvalidMfaCode()
    if not await verify_second_factor(db, ctx, user, code):
        await _login_failed(ctx, user, user.email, client, "bad_mfa_code")
        raise InvalidMfaCode()
    if not await repository.spend_challenge(db, challenge_id, utcnow()):
        raise InvalidMfaCode()  # spent by a concurrent request
    await ctx.mfa_throttle.succeeded(str(user.id), client.ip)
    return await start_session(db, ctx, user, client, cookie_mode=challenge.cookie_mode, mfa=True)


async def start_session(
    db: AsyncSession,
    ctx: AuthContext,
    user: User,
    client: ClientInfo,
    *,
    cookie_mode: bool,
    mfa: bool,
) -> IssuedTokens:
    """Create a session (a new refresh-token family) and its first tokens."""
    now = utcnow()
    s = ctx.settings
    row = await repository.create_session(
        db,
        Session(
            user_id=user.id,
            user_agent=client.user_agent,
            ip=client.ip,
            cookie_mode=cookie_mode,
            mfa=mfa,
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(seconds=s.session_ttl_seconds),
        ),
    )
    user.last_login_at = now
    security_event(
        "sign_in",
        outcome="success",
        user_id=user.id,
        client_ip=client.ip,
        user_agent=client.user_agent,
        mfa=mfa,
        session_id=str(row.id),
    )
    return await _issue(db, ctx, user, row, now)


async def _issue(
    db: AsyncSession, ctx: AuthContext, user: User, row: Session, now: datetime
) -> IssuedTokens:
    refresh = new_token(REFRESH_PREFIX)
    refresh_expires = min(
        row.expires_at, now + timedelta(seconds=ctx.settings.session_idle_seconds)
    )
    await repository.add_refresh_token(db, row.id, token_hash(refresh), refresh_expires)
    # A session carries every scope its roles allow, as the roles are now (a refresh after a
    # role change mints the new set).
    scope = format_scopes(scopes_for_roles(user.roles))
    access = await ctx.minter.mint(
        user_id=user.id, roles=user.roles, scope=scope, session_id=row.id
    )
    return IssuedTokens(
        access=access,
        refresh_token=refresh,
        refresh_expires_at=refresh_expires,
        session_id=row.id,
        cookie_mode=row.cookie_mode,
    )


async def refresh(
    db: AsyncSession, ctx: AuthContext, client: ClientInfo, *, token: str, via_cookie: bool
) -> IssuedTokens:
    """Rotate a refresh token. A spent one coming back revokes its whole family."""
    row = await repository.find_refresh_token(db, token_hash(token))
    if row is None:
        raise InvalidRefreshToken()
    if row.used_at is not None or not await repository.spend_refresh_token(db, row.id):
        await _revoke_family(ctx, row.session_id)
        raise InvalidRefreshToken()
    sess = await repository.get_session(db, row.session_id)
    now = utcnow()
    if (
        sess is None
        or sess.revoked_at is not None
        or sess.expires_at <= now
        or row.expires_at <= now
        or sess.cookie_mode != via_cookie
    ):
        raise InvalidRefreshToken()
    user = await users.get(db, sess.user_id)
    if user is None or not user.is_active:
        raise InvalidRefreshToken()
    sess.last_used_at = now
    sess.ip = client.ip
    return await _issue(db, ctx, user, sess, now)


async def _revoke_family(ctx: AuthContext, session_id: uuid.UUID) -> None:
    """Theft response: a spent refresh token was presented, so end its session for everyone."""

    async def work(session: AsyncSession) -> None:
        sess = await repository.get_session(session, session_id)
        if sess is None:
            return
        await repository.revoke(
            session, user_id=sess.user_id, session_id=session_id, reason="refresh_reuse"
        )
        log.warning("refresh_token_reuse", session_id=str(session_id), user_id=str(sess.user_id))

    await _security_write(ctx, work)


async def list_sessions(
    db: AsyncSession, user_id: uuid.UUID, current: str | None
) -> list[tuple[Session, bool]]:
    """The user's live sessions, each with whether it is the caller's own."""
    rows = await repository.list_active(db, user_id)
    return [(r, str(r.id) == current) for r in rows]


async def revoke_session(db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    """End one of the user's own sessions; False when it is not theirs or already ended."""
    return await repository.revoke(db, user_id=user_id, session_id=session_id, reason="user") > 0


async def revoke_all(
    db: AsyncSession, user_id: uuid.UUID, *, keep: uuid.UUID | None, reason: str = "user"
) -> int:
    """End every session of the user (but `keep`)."""
    return await repository.revoke(db, user_id=user_id, except_session=keep, reason=reason)
