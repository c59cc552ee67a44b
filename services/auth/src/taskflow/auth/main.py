"""The auth service's FastAPI app: `build_app(settings, key_source)`; `app` for uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from taskflow.auth.config import Settings
from taskflow.auth.crypto import SecretBox
from taskflow.auth.deps import AuthContext
from taskflow.auth.keys.router import router as keys_router
from taskflow.auth.keys.service import DbKeySource, TokenMinter
from taskflow.auth.mfa.router import router as mfa_router
from taskflow.auth.passwords.hashing import Hasher
from taskflow.auth.pats.router import router as pats_router
from taskflow.auth.sessions.router import router as sessions_router
from taskflow.auth.sessions.throttle import LoginThrottle
from taskflow.auth.users.router import accounts, users_router
from taskflow.common.app import create_app
from taskflow.common.db import Database
from taskflow.common.security import KeySource

TAGS = [
    {"name": "accounts", "description": "Registration, email verification, passwords."},
    {"name": "sessions", "description": "Sign-in, MFA sign-in, refresh, sessions."},
    {"name": "mfa", "description": "TOTP second factor and recovery codes."},
    {"name": "tokens", "description": "Personal access tokens for scripts."},
    {"name": "users", "description": "Profiles, user look-up, administration."},
    {"name": "keys", "description": "The JWK set of the token signing keys."},
]


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """Assemble the app. Auth verifies its own tokens against its published keys in the DB
    (`DbKeySource`) unless a `key_source` is given."""
    settings = settings or Settings()
    source: KeySource = key_source or DbKeySource.for_settings(settings)
    app = create_app(
        settings,
        routers=[accounts, sessions_router, mfa_router, pats_router, users_router, keys_router],
        title="Taskflow auth",
        key_source=source,
        openapi_tags=TAGS,
        description="Accounts, sessions, MFA, roles, personal access tokens and signing keys.",
    )
    db: Database = app.state.db
    box = SecretBox(settings.kek_bytes())
    app.state.ctx = AuthContext(
        settings=settings,
        box=box,
        hasher=Hasher(settings),
        minter=TokenMinter(settings, box, db.sessionmaker),
        throttle=LoginThrottle(app.state.redis, settings),
        mfa_throttle=LoginThrottle(app.state.redis, settings, scope="mfa"),
        sessionmaker=db.sessionmaker,
        proxies=settings.proxy_networks(),
    )
    return app


app = build_app()
