"""The auth service's typed errors (stable codes; rendered by taskflow.common's handler)."""

from __future__ import annotations

from taskflow.common.errors import BadRequest, Conflict, Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    """Wrong email or password; the same answer whether or not the email exists."""

    default_code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is incorrect.")


class InvalidRefreshToken(Unauthorized):
    """A refresh token that is unknown, spent, expired or of an ended session."""

    default_code = "invalid_refresh_token"

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid or expired. Sign in again.")


class InvalidMfaCode(Unauthorized):
    """A wrong, replayed or expired second-factor code or challenge."""

    default_code = "invalid_mfa"

    def __init__(self) -> None:
        super().__init__("The code or the sign-in challenge is invalid or expired.")


class InvalidGrant(Unauthorized):
    """A personal access token that is unknown, revoked or expired."""

    default_code = "invalid_grant"

    def __init__(self) -> None:
        super().__init__("The token is invalid, revoked or expired.")


class InvalidOneTimeToken(BadRequest):
    """A verification or reset link that is unknown, used or expired."""

    default_code = "invalid_or_expired_token"

    def __init__(self) -> None:
        super().__init__("The link is invalid, already used or expired.")


class CsrfFailed(Forbidden):
    """Cookie-mode refresh without the matching CSRF token or from a foreign origin."""

    default_code = "csrf_failed"

    def __init__(self) -> None:
        super().__init__("The CSRF check failed.")


class InteractiveSessionRequired(Forbidden):
    """Account-security actions need a signed-in session, not a token from a PAT."""

    default_code = "interactive_session_required"

    def __init__(self) -> None:
        super().__init__("This needs a signed-in session, not a personal access token.")


class MfaAlreadyEnabled(Conflict):
    default_code = "mfa_already_enabled"


class MfaNotEnabled(Conflict):
    default_code = "mfa_not_enabled"
