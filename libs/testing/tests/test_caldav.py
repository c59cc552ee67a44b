"""The Radicale CalDAV server, driven over plain HTTP as the notifications service will."""

from __future__ import annotations

import httpx

from taskflow.testing.caldav import CaldavServer

MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>Work</D:displayname></D:prop></D:set>
</C:mkcalendar>"""

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//taskflow//tests//EN\r
BEGIN:VTODO\r
UID:task-42@taskflow\r
DTSTAMP:20250101T000000Z\r
DUE:20250102T120000Z\r
SUMMARY:Write the tests\r
END:VTODO\r
END:VCALENDAR\r
"""


async def test_service_account_writes_a_users_calendar(caldav_server: CaldavServer) -> None:
    async with httpx.AsyncClient(
        base_url=caldav_server.url, auth=caldav_server.auth, timeout=10
    ) as client:
        # Radicale will not create /alice/ implicitly: MKCOL the parent first.
        assert (await client.request("MKCOL", "/alice/")).status_code == 201
        made = await client.request(
            "MKCALENDAR",
            "/alice/work/",
            content=MKCALENDAR,
            headers={"Content-Type": "application/xml"},
        )
        assert made.status_code == 201, made.text
        put = await client.put(
            "/alice/work/task-42.ics",
            content=EVENT,
            headers={"Content-Type": "text/calendar; charset=utf-8"},
        )
        assert put.status_code == 201, put.text
        got = await client.get("/alice/work/task-42.ics")
        assert got.status_code == 200
        assert "UID:task-42@taskflow" in got.text
        assert "SUMMARY:Write the tests" in got.text


async def test_wrong_password_is_refused(caldav_server: CaldavServer) -> None:
    async with httpx.AsyncClient(base_url=caldav_server.url, timeout=10) as client:
        bad = await client.request("PROPFIND", "/", auth=(caldav_server.username, "wrong"))
        assert bad.status_code == 401
