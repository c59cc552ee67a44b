"""The aiosmtpd sink receives real SMTP."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import pytest

from taskflow.testing.smtp import SmtpSink


def _message(subject: str, body: str = "Hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "noreply@taskflow.test"
    msg["To"] = "alice@example.test"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


async def test_sink_receives_and_clears(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.messages() == []  # emptied for this test
    await aiosmtplib.send(
        _message("Task assigned", "Größe: ✓"),
        hostname=smtp_sink.host,
        port=smtp_sink.port,
        recipients=["alice@example.test", "hidden@example.test"],
        timeout=5,
    )
    got = await smtp_sink.wait_for(lambda m: m["Subject"] == "Task assigned")
    assert got["To"] == "alice@example.test"
    assert "hidden@example.test" in got["X-RcptTo"]  # Bcc shows in the envelope only
    assert got["X-MailFrom"] == "noreply@taskflow.test"
    body = got.get_body(("plain",))
    assert body is not None
    assert "Größe: ✓" in body.get_content()

    await aiosmtplib.send(_message("second"), hostname=smtp_sink.host, port=smtp_sink.port)
    await smtp_sink.wait_for(lambda m: m["Subject"] == "second")
    assert [m["Subject"] for m in smtp_sink.messages()] == ["Task assigned", "second"]
    smtp_sink.clear()
    assert smtp_sink.messages() == []


async def test_wait_for_times_out_with_what_it_saw(smtp_sink: SmtpSink) -> None:
    await aiosmtplib.send(_message("other"), hostname=smtp_sink.host, port=smtp_sink.port)
    with pytest.raises(TimeoutError, match="other"):
        await smtp_sink.wait_for(lambda m: m["Subject"] == "never", timeout=0.3)
