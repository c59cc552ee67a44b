"""Keep the calendar feed secret out of log lines.

The private feed URL carries its secret in the path (calendar apps cannot send headers), and the
shared request middleware of libs/common logs every request's raw path. This filter, installed
on the loggers that record paths, blanks the secret before any handler formats the line, so a
log reader can never subscribe to someone's calendar.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_FEED_PATH = re.compile(r"(/calendar/feeds/)[^/?#\s'\"]+?(\.ics)")
_REPLACEMENT = r"\1[redacted]\2"
#: Loggers of libs/common that write the request path (the access log and unhandled errors).
PATH_LOGGERS = ("taskflow.access", "taskflow.app")


def scrub(value: Any) -> Any:
    """`value` with any feed secret in a string (or a dict's string values) blanked."""
    if isinstance(value, str):
        return _FEED_PATH.sub(_REPLACEMENT, value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


class FeedSecretFilter(logging.Filter):
    """Rewrites the record in place; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) for a in record.args)
        return True


def install() -> None:
    """Attach the filter to the path-logging loggers once (safe to call per app build)."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, FeedSecretFilter) for f in logger.filters):
            logger.addFilter(FeedSecretFilter())
