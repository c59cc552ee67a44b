"""Security events: one structured log line per sign-in and per refusal (403).

A reviewer (or a SIEM rule) must be able to answer "who did what, when, from where" without
reading access logs: every event has `event="security_event"`, an `action`, an `outcome`, the
`user_id` (None when unknown), `at` (UTC, ISO 8601), `client_ip` (the peer as the service
sees it; services that know their trusted proxies pass the resolved address), the
`user_agent`, and the request id bound by the app's middleware. Values are escaped by the
logging set-up (`escape_processor`), so a forged user agent cannot forge a log line.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import HTTPConnection

from taskflow.common.logging import get_logger

log = get_logger("taskflow.security")


def _route(conn: HTTPConnection) -> str:
    route = conn.scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    # The template, never the raw path: paths carry ids and feed secrets.
    return str(template) if template else "<unmatched>"


def security_event(
    action: str,
    *,
    outcome: str,
    user_id: uuid.UUID | str | None,
    client_ip: str | None,
    user_agent: str | None = None,
    **details: Any,
) -> None:
    """Log one security event (`details` must hold no secrets: keys are redacted by name only)."""
    log.info(
        "security_event",
        action=action,
        outcome=outcome,
        user_id=str(user_id) if user_id is not None else None,
        at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        client_ip=client_ip,
        user_agent=user_agent,
        **details,
    )


def request_security_event(
    conn: HTTPConnection,
    action: str,
    *,
    outcome: str,
    user_id: uuid.UUID | str | None = None,
    **details: Any,
) -> None:
    """A security event about the request (or WebSocket) being served: who from its
    principal, where from its peer address.

    `user_id` names the caller where the connection holds no principal: a WebSocket
    authenticates in its first message, after the handshake, so nothing sets one there.
    """
    principal = getattr(conn.state, "principal", None)
    security_event(
        action,
        outcome=outcome,
        user_id=user_id if user_id is not None else getattr(principal, "user_id", None),
        client_ip=conn.client.host if conn.client else None,
        user_agent=conn.headers.get("user-agent"),
        method=conn.scope.get("method"),
        route=_route(conn),
        **details,
    )
