"""Dependencies shared by the routers of this service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from taskflow.common.security import Principal, require_roles
from taskflow.notifications.context import Context


def get_context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


ContextDep = Annotated[Context, Depends(get_context)]
#: Operators who may look at and retry deliveries.
AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]
