"""The one vocabulary of token scopes, and which scopes a signed-in session gets.

Scopes bound what a token may do, on top of roles: a route serves a token only when the token
carries the scope the route declares (`taskflow.common.security.require_scope`), and the
role checks then still apply. A session from an interactive sign-in carries every scope its
system roles allow (`scopes_for_roles`); a token exchanged from a personal access token carries
only the scopes its owner chose when making it (and of those, only what the owner's roles
still allow at exchange time).

Role powers are themselves scopes: reading the audit log needs `audit:read` (and the role
`auditor` or `admin`), changing its retention `audit:write`, and every admin action needs
`admin` (and the role `admin`). So an admin's script token made with `tasks:read` is a
`tasks:read` token and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Scope(StrEnum):
    """Every scope a token can carry. Adding one is a contract change (docs/architecture.md)."""

    TASKS_READ = "tasks:read"
    TASKS_WRITE = "tasks:write"
    NOTIFICATIONS_READ = "notifications:read"
    NOTIFICATIONS_WRITE = "notifications:write"
    REPORTS_READ = "reports:read"
    AUDIT_READ = "audit:read"
    AUDIT_WRITE = "audit:write"
    ACCOUNT_READ = "account:read"
    ACCOUNT_WRITE = "account:write"
    ADMIN = "admin"


SCOPE_DESCRIPTIONS: Mapping[Scope, str] = {
    Scope.TASKS_READ: "Read projects, tasks, comments, labels, milestones, views, activity.",
    Scope.TASKS_WRITE: "Create, change and delete projects, tasks and everything in them.",
    Scope.NOTIFICATIONS_READ: "Read notifications and preferences; receive live pushes.",
    Scope.NOTIFICATIONS_WRITE: "Mark notifications read, delete them, change preferences.",
    Scope.REPORTS_READ: "Read reports.",
    Scope.AUDIT_READ: "Read, verify and export the audit log (role auditor or admin).",
    Scope.AUDIT_WRITE: "Change audit retention and legal holds (role auditor or admin).",
    Scope.ACCOUNT_READ: "Read your account, sessions and tokens; look up other users.",
    Scope.ACCOUNT_WRITE: "Change your account, password, MFA, sessions and tokens.",
    Scope.ADMIN: "Administer accounts, deliveries and parked events (role admin).",
}

_EVERY_USER = frozenset(
    {
        Scope.TASKS_READ,
        Scope.TASKS_WRITE,
        Scope.NOTIFICATIONS_READ,
        Scope.NOTIFICATIONS_WRITE,
        Scope.REPORTS_READ,
        Scope.ACCOUNT_READ,
        Scope.ACCOUNT_WRITE,
    }
)

#: The scopes each system role brings to a session. A session gets the union over its roles.
ROLE_SCOPES: Mapping[str, frozenset[Scope]] = {
    "user": _EVERY_USER,
    "auditor": _EVERY_USER | {Scope.AUDIT_READ, Scope.AUDIT_WRITE},
    "admin": _EVERY_USER | {Scope.AUDIT_READ, Scope.AUDIT_WRITE, Scope.ADMIN},
}


def scopes_for_roles(roles: Iterable[str]) -> frozenset[Scope]:
    """The scopes a session of an account with `roles` carries (unknown roles bring none)."""
    out: frozenset[Scope] = frozenset()
    for role in roles:
        out |= ROLE_SCOPES.get(role, frozenset())
    return out


def parse_scope(value: str) -> Scope | None:
    """The `Scope` named `value`, or None when the vocabulary has no such scope."""
    try:
        return Scope(value)
    except ValueError:
        return None


def format_scopes(scopes: Iterable[str]) -> str:
    """The `scope` claim: sorted, space separated (RFC 6749 section 3.3)."""
    return " ".join(sorted({str(s) for s in scopes}))
