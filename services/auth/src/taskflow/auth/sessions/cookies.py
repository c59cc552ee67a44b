"""Browser mode: the refresh token in an httpOnly cookie, guarded by a double-submit CSRF token.

`tf_refresh` is httpOnly, Secure, SameSite=Strict and only sent to `/api/v1/auth`, so page
scripts never see it and other sites cannot make the browser send it. Refresh in cookie mode
also needs `X-CSRF-Token` equal to the readable `tf_csrf` cookie (a page on another origin
cannot read it), and an `Origin` header, when present, must be one of ours.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from fastapi import Request, Response

from taskflow.auth.config import Settings
from taskflow.auth.errors import CsrfFailed
from taskflow.common.origins import origin_allowed

REFRESH_COOKIE = "tf_refresh"
CSRF_COOKIE = "tf_csrf"
CSRF_HEADER = "x-csrf-token"
MODE_HEADER = "x-auth-mode"
COOKIE_PATH = "/api/v1/auth"


def wants_cookie_mode(request: Request, body_flag: bool) -> bool:
    """Cookie mode when the body says so or the client sends `X-Auth-Mode: cookie`."""
    return body_flag or request.headers.get(MODE_HEADER, "").strip().lower() == "cookie"


def set_refresh_cookies(
    response: Response, settings: Settings, refresh_token: str, expires_at: datetime
) -> None:
    """Set the refresh cookie and a fresh CSRF cookie (both expire with the token)."""
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        expires=expires_at,
        path=COOKIE_PATH,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        expires=expires_at,
        path="/",
        secure=settings.cookie_secure,
        httponly=False,
        samesite="strict",
    )


def clear_refresh_cookies(response: Response, settings: Settings) -> None:
    """Remove both cookies (logout, failed refresh)."""
    response.delete_cookie(
        REFRESH_COOKIE,
        path=COOKIE_PATH,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(
        CSRF_COOKIE, path="/", secure=settings.cookie_secure, httponly=False, samesite="strict"
    )


def check_csrf(request: Request, settings: Settings) -> None:
    """403 `csrf_failed` unless the double-submit token matches and the origin is ours."""
    if not origin_allowed(request.headers.get("origin"), settings):
        raise CsrfFailed()
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not header or not hmac.compare_digest(cookie.encode(), header.encode()):
        raise CsrfFailed()
