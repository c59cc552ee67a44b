"""structlog JSON logging with the request id, the trace id and secrets redacted.

The request id and trace id live in contextvars (bound by the app's middleware), so every
line logged while serving a request carries them, including lines from libraries that log
through the standard `logging` module.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import orjson
import structlog

#: Keys whose values never reach a log line (compared case-insensitively, `-` as `_`).
REDACTED_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "old_password",
        "token",
        "secret",
        "client_secret",
        "authorization",
        "cookie",
        "set_cookie",
        "refresh_token",
        "access_token",
        "id_token",
        "code",
        "totp",
        "otp",
        "api_key",
        "private_key",
        "database_url",
        "amqp_url",
        "redis_url",
    }
)
REDACTED = "[redacted]"
_SUFFIXES = ("_password", "_token", "_secret")


def _is_secret_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    k = key.lower().replace("-", "_")
    return k in REDACTED_KEYS or k.endswith(_SUFFIXES)


def redact(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` where the values of secret-looking keys are blanked, recursively."""
    if _depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _is_secret_key(k) else redact(v, _depth + 1)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, _depth + 1) for v in value]
    return value


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: blank secret keys anywhere in the event."""
    for key in list(event_dict):
        if key == "event":
            continue
        event_dict[key] = REDACTED if _is_secret_key(key) else redact(event_dict[key])
    return event_dict


#: The user-info part of a URL (``scheme://user:password@``), up to the last ``@`` before the
#: path, so a password holding an ``@`` does not leave its tail behind.
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s]*@")


def mask_credentials(text: str) -> str:
    """``text`` with the user info of every URL in it replaced by ``***``.

    The whole user info, not only the password: a user name can be a token
    (``https://ghp_...@host``). Drivers quote the URL they were given in their errors.
    """
    return _URL_CREDENTIALS.sub("***@", text)


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """A short description of ``exc`` safe for a log, a row or a message header.

    Type and first line only (a driver's later lines may quote the statement and its
    parameters), URL credentials masked, ASCII, at most ``limit`` characters.
    """
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return mask_credentials(text).encode("ascii", "replace").decode()[:limit]


#: C0 and C1 controls, DEL and the Unicode line/paragraph separators: in a value a client
#: chose (a user agent, an email, a header) they could forge a line in a text log or move a
#: terminal's cursor.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(value: Any, _depth: int = 0) -> Any:
    """A copy of `value` with control characters in strings written as escapes (`\\n`)."""
    if _depth > 8:
        return value
    if isinstance(value, str):
        return _CONTROL.sub(_escape_char, value)
    if isinstance(value, Mapping):
        return {
            escape_controls(k, _depth + 1): escape_controls(v, _depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [escape_controls(v, _depth + 1) for v in value]
    return value


def escape_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: no logged value can start a new line or carry a control code.

    Runs before the exception is formatted, so tracebacks keep their own line breaks.
    """
    for key in list(event_dict):
        event_dict[key] = escape_controls(event_dict[key])
    return event_dict


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


_configured: dict[str, Any] = {}


def configure_logging(
    level: str = "INFO", *, json: bool = True, stream: TextIO | None = None, service: str = ""
) -> None:
    """Set up structlog and the stdlib root logger to write one JSON object per line.

    Safe to call again (each app does): the last call wins, which is what tests need when
    they capture the stream.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_processor,
        escape_processor,
    ]
    if service:
        shared.insert(0, _add_service(service))
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.processors.format_exc_info],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    old = _configured.get("handler")
    if old is not None:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    _configured["handler"] = handler
    # httpx logs every URL at INFO, query strings (which may carry secrets) included.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # uvicorn's own access log would duplicate ours and carries query strings.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True


def _add_service(service: str) -> Any:
    def processor(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger bound to `name`."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
