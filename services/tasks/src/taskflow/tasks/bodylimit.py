"""The ordinary request body limit, with the CSV import route allowed a larger one.

The platform middleware (`taskflow.common.app.RequestContextMiddleware`) applies one limit,
`max_body_bytes`, to every route. CSV imports need more (the gateway lets 10 MiB through on
`/api/v1/projects/{id}/import` only), so the tasks api raises the platform limit to
`import_max_bytes` and this middleware, placed innermost (inside the platform one, so a 413
from here still carries the request id and is logged and counted), holds every other route to
the ordinary `max_body_bytes`.
"""

from __future__ import annotations

import re
from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskflow.common.app import render_problem
from taskflow.common.errors import PayloadTooLarge

#: The one route allowed the larger body (the same pattern as the gateway's location).
IMPORT_PATH = re.compile(r"^/api/v1/projects/[^/]+/import$")


class OrdinaryBodyLimit:
    """413 for a body above `limit` bytes on every route but the import."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or IMPORT_PATH.match(path):
            await self.app(scope, receive, send)
            return
        refuse = render_problem(
            path, PayloadTooLarge(f"The request body exceeds {self.limit} bytes.")
        )
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await refuse(scope, receive, send)
            return
        received = 0
        overflow = False
        started = False

        async def counted() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives.
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    overflow = True
                    raise PayloadTooLarge()
            return message

        async def guarded(message: Message) -> None:
            # After an overflow the route's own answer (a 400 "error parsing the body") is
            # dropped in favour of the 413.
            nonlocal started
            if overflow:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(PayloadTooLarge):
            await self.app(scope, counted, guarded)
        if overflow and not started:
            await refuse(scope, receive, send)
