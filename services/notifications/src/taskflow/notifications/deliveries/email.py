"""Mail rendering (Jinja2, text and HTML parts) and sending (aiosmtplib).

Rendering happens when the delivery is queued, so a retry sends exactly what was decided
then; sending builds the MIME message from the stored payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from taskflow.common.tracing import current_request_id, current_traceparent, trace_id_of
from taskflow.notifications.config import Settings

_env = Environment(
    loader=PackageLoader("taskflow.notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class RenderedMail:
    """Subject and both parts of one mail."""

    subject: str
    text: str
    html: str

    def as_payload(self) -> dict[str, Any]:
        """What the delivery row keeps; with the trace of the event that decided the mail."""
        payload: dict[str, Any] = {"subject": self.subject, "text": self.text, "html": self.html}
        traceparent = current_traceparent()
        if traceparent is not None:
            payload["traceparent"] = traceparent
            payload["request_id"] = current_request_id()
        return payload


def render(template: str, subject: str, **context: Any) -> RenderedMail:
    """Render `<template>.txt.j2` and `<template>.html.j2` with the same context."""
    ctx = {"subject": subject, **context}
    text = _env.get_template(f"{template}.txt.j2").render(ctx)
    html = _env.get_template(f"{template}.html.j2").render(ctx)
    return RenderedMail(subject, text, html)


def build_message(
    settings: Settings,
    to: str,
    payload: dict[str, Any],
    *,
    message_id: str | None = None,
    ics: bytes | None = None,
) -> EmailMessage:
    """The MIME message: text, HTML alternative and, when given, an .ics attachment."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = payload["subject"]
    # A stable Message-ID per delivery lets a receiving server drop a duplicate resend.
    msg["Message-ID"] = message_id or make_msgid(domain="taskflow.local")
    # The trace of the request that caused the mail: support can find it in the logs.
    trace_id = trace_id_of(payload.get("traceparent"))
    if trace_id is not None:
        msg["X-Trace-Id"] = trace_id
    msg.set_content(payload["text"])
    msg.add_alternative(payload["html"], subtype="html")
    if ics is not None:
        msg.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="task.ics",
            params={"method": "PUBLISH"},
        )
    return msg


class PermanentSmtpFailure(Exception):
    """The server answered 5xx about this message (recipient, sender or content): final.

    Not an `aiosmtplib.SMTPException`, so the sender neither retries it nor counts it against
    the SMTP breaker: the server is up, and one bouncing address says nothing about the rest.
    """

    def __init__(self, code: int) -> None:
        super().__init__(f"SMTP {code}")
        self.code = code


def permanent_code(exc: BaseException) -> int | None:
    """The 5xx code when `exc` is a permanent refusal of this message, else None.

    Only per-message answers qualify (RCPT, MAIL FROM, DATA). A 5xx at connect, HELO or AUTH
    (a misconfigured server or credentials) fails every message alike, so it stays a channel
    failure that the breaker counts, like a transport error or any 4xx.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        return min(codes) if codes and all(500 <= c < 600 for c in codes) else None
    if isinstance(
        exc,
        aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError,
    ) and (500 <= exc.code < 600):
        return int(exc.code)
    return None


async def send(settings: Settings, msg: EmailMessage) -> None:
    """Hand the message to the SMTP server (raises on any failure).

    A permanent refusal of the message raises `PermanentSmtpFailure`; everything else raises
    aiosmtplib's or the socket's own error.
    """
    try:
        await _send(settings, msg)
    except aiosmtplib.SMTPException as exc:
        code = permanent_code(exc)
        if code is None:
            raise
        raise PermanentSmtpFailure(code) from None


async def _send(settings: Settings, msg: EmailMessage) -> None:
    # Two timeouts: connecting (greeting, TLS, login) is bounded by `smtp_timeout`, so a down
    # or hung server fails fast and counts toward the breaker; the replies after that get
    # `smtp_reply_timeout`, because giving up on a slow "250" after the message was sent
    # means sending it again (a duplicate at the recipient). QUIT failures are ignored.
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        use_tls=settings.smtp_use_tls,
        start_tls=settings.smtp_start_tls,
        timeout=settings.smtp_timeout,
    )
    async with client:
        await client.send_message(msg, timeout=settings.smtp_reply_timeout)
