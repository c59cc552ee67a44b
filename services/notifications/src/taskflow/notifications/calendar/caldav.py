"""The CalDAV channel: PUT/DELETE one task's event in the user's calendar collection.

The collection `{CALDAV_URL}/{user_id}/tasks/` is made on first use (MKCOL of the user's home,
then MKCALENDAR). Requests go through `ResilientClient` (tenacity retries and the Redis-backed
breaker of taskflow.common).
"""

from __future__ import annotations

import uuid

import httpx

from taskflow.common.resilience import ResilientClient

_MKCALENDAR_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>Taskflow</D:displayname></D:prop></D:set>"
    "</C:mkcalendar>"
)


class CaldavError(Exception):
    """The CalDAV server answered, but not with success (counts as a failed attempt)."""


class CaldavChannel:
    """Writes task events into users' CalDAV calendars."""

    def __init__(self, client: ResilientClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def collection_url(self, user_id: uuid.UUID) -> str:
        return f"{self.base_url}/{user_id}/tasks/"

    def event_url(self, user_id: uuid.UUID, task_id: uuid.UUID) -> str:
        return f"{self.collection_url(user_id)}{task_id}.ics"

    async def ensure_collection(self, user_id: uuid.UUID) -> None:
        """MKCOL the user's home and MKCALENDAR the tasks calendar (existing ones are fine)."""
        home = await self.client.request("MKCOL", f"{self.base_url}/{user_id}/", retry=True)
        _check(home, ok=(201, 405, 409))
        cal = await self.client.request(
            "MKCALENDAR",
            self.collection_url(user_id),
            retry=True,
            content=_MKCALENDAR_BODY,
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        _check(cal, ok=(201, 405))

    async def put(self, user_id: uuid.UUID, task_id: uuid.UUID, ics: bytes) -> int:
        """PUT the event; returns the status (409/404 mean the collection is missing)."""
        resp = await self.client.put(
            self.event_url(user_id, task_id),
            content=ics,
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        if resp.status_code in (404, 409):
            return resp.status_code
        _check(resp, ok=(200, 201, 204))
        return resp.status_code

    async def delete(self, user_id: uuid.UUID, task_id: uuid.UUID) -> None:
        """DELETE the event; one that is already gone is fine."""
        resp = await self.client.delete(self.event_url(user_id, task_id))
        _check(resp, ok=(200, 204, 404))


def _check(resp: httpx.Response, *, ok: tuple[int, ...]) -> None:
    if resp.status_code not in ok:
        raise CaldavError(f"CalDAV answered {resp.status_code}")
