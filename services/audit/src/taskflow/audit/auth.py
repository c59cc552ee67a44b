"""Who may read the audit log: system roles `auditor` and `admin`; parking is admin only.

Audit data names every user and project, so even its existence is for these roles only: any
other valid token gets 403 on every endpoint (401 without a token).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from taskflow.common.security import Principal, require_roles

AUDIT_ROLES = ("auditor", "admin")

Auditor = Annotated[Principal, Depends(require_roles(*AUDIT_ROLES))]
