"""TOTP (RFC 6238, 30 s steps, 6 digits, SHA-1 as authenticator apps expect) with replay guard.

`match_step` returns the time step a code belongs to (current step +- one for clock drift);
the caller refuses a step that is not greater than the last one the user spent, so a code
seen over a shoulder or in a log cannot be used again within its window.
"""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
ISSUER = "Taskflow"

#: Recovery codes: 16 characters of Crockford-like base32 (80 bits), shown as xxxx-xxxx-...
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str) -> str:
    """The `otpauth://` URI an authenticator app scans."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=ISSUER
    )


def current_step(now: float | None = None) -> int:
    """The TOTP time step of `now`."""
    return int((time.time() if now is None else now) // STEP_SECONDS)


def code_at_step(secret: str, step: int) -> str:
    """The code of `step` (for tests and for matching)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


def match_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The step (within drift) whose code equals `code`, or None. Compares in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    step = current_step(now)
    found: int | None = None
    # Check every candidate step so the time taken does not depend on which one matched.
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at_step(secret, candidate), code) and found is None:
            found = candidate
    return found


def new_recovery_codes() -> list[str]:
    """Ten single-use recovery codes, formatted `xxxx-xxxx-xxxx-xxxx`."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(code: str) -> str:
    """Lower-case, without separators or spaces, as recovery codes are hashed."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def looks_like_totp(code: str) -> bool:
    """True for a 6-digit code (a TOTP); anything else is tried as a recovery code."""
    stripped = code.strip().replace(" ", "")
    return len(stripped) == DIGITS and stripped.isdigit()
