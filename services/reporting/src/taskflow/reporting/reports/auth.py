"""Who may read reports: any member of the project; team figures: its admins and owners.

The project check needs the project id from the path and the database, so it runs in the
service (`service.require_member`); here is only the authenticated caller and the validated
time zone every report takes.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query

from taskflow.common.errors import Unprocessable
from taskflow.common.security import CurrentPrincipal
from taskflow.reporting.reports.periods import InvalidTimezone, parse_tz

Reader = CurrentPrincipal


async def get_tz(
    tz: Annotated[
        str,
        Query(
            description="IANA time zone for day boundaries, e.g. Europe/Berlin.",
            max_length=64,
            examples=["Europe/Berlin"],
        ),
    ] = "UTC",
) -> ZoneInfo:
    """The `tz` query parameter as a ZoneInfo; 422 naming `tz` when it is not a known zone."""
    try:
        return parse_tz(tz)
    except InvalidTimezone:
        raise Unprocessable(
            "Unknown time zone.",
            code="invalid_timezone",
            errors=[{"loc": ["query", "tz"], "msg": "not a known IANA time zone", "type": "tz"}],
        ) from None


TimeZone = Annotated[ZoneInfo, Depends(get_tz)]
