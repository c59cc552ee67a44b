"""The password policy: 12 to 128 characters, not a common password, not the email.

Length beats composition rules (NIST SP 800-63B): no "one digit and one symbol" rules, but a
deny list of common passwords, compared case-insensitively. The list ships with the package
(`data/common-passwords.txt.gz`, see `data/README.md` for its origin).
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources

MIN_LENGTH = 12
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped deny list, lower-cased (loaded once)."""
    data = resources.files("taskflow.auth").joinpath("data/common-passwords.txt.gz").read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why `password` is refused (empty when it is acceptable). Messages never echo it."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters long")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        problems.append("is too common")
    if email and lowered == email.strip().lower():
        problems.append("must not be your email address")
    if password and len(set(password)) == 1:
        problems.append("must not repeat one character")
    return problems
