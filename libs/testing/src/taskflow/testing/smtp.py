"""An SMTP sink: a real aiosmtpd server that keeps every message in a Maildir.

Notifications are tested by sending real mail over SMTP and reading it back, so the test
covers the client's protocol handling too (envelope, headers, encodings), not a mocked call.
"""

from __future__ import annotations

import asyncio
import mailbox
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from taskflow.testing.helpers import free_port


class _MaildirHandler:
    """aiosmtpd handler: store each message with its envelope and remember arrival order."""

    def __init__(self, folder: Path) -> None:
        self.maildir = mailbox.Maildir(str(folder), create=True)
        self.keys: list[str] = []
        self.lock = threading.Lock()
        #: Recipient address -> the reply its RCPT gets instead of 250 (see SmtpSink.refuse).
        self.refusals: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            reply = self.refusals.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        # The envelope is what decides delivery (Bcc lives only there), so keep it visible.
        trace = f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        with self.lock:
            self.keys.append(self.maildir.add(trace.encode("utf-8") + raw))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A running sink: ``.host``, ``.port``, ``.messages()``, ``.wait_for(...)``, ``.clear()``."""

    def __init__(self, folder: Path, host: str = "127.0.0.1") -> None:
        self.folder = folder
        self.host = host
        self.port = 0
        self._handler = _MaildirHandler(folder)
        self._controller: Controller | None = None

    def start(self, attempts: int = 5) -> SmtpSink:
        """Start on a free port, retrying when another process grabs it first."""
        last: Exception | None = None
        for _ in range(attempts):
            port = free_port(self.host)
            controller = Controller(self._handler, hostname=self.host, port=port, ready_timeout=10)
            try:
                controller.start()
            except Exception as exc:  # port taken between free_port() and bind
                last = exc
                continue
            self._controller, self.port = controller, port
            return self
        raise RuntimeError(f"cannot start the SMTP sink on {self.host}: {last!r}")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first, parsed with the modern email policy."""
        parser = BytesParser(_class=EmailMessage, policy=default_policy)
        with self._handler.lock:
            keys = list(self._handler.keys)
            raws = []
            for key in keys:
                try:
                    raws.append(self._handler.maildir.get_bytes(key))
                except KeyError:
                    continue
        return [parser.parsebytes(raw) for raw in raws]

    def clear(self) -> None:
        """Forget every message received so far (and every refusal set up by `refuse`)."""
        with self._handler.lock:
            self._handler.maildir.clear()
            self._handler.keys.clear()
            self._handler.refusals.clear()

    def refuse(self, address: str, reply: str = "550 5.1.1 mailbox unavailable") -> None:
        """Answer RCPT TO `address` with `reply` (a bouncing or greylisting mailbox)."""
        with self._handler.lock:
            self._handler.refusals[address.lower()] = reply

    async def wait_for(
        self,
        predicate: Callable[[EmailMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a poll deadline, not a cancel scope
        interval: float = 0.02,
    ) -> EmailMessage:
        """Return the first message matching ``predicate`` (any message when None), polling.

        For counts, poll yourself: ``await wait_until(lambda: len(sink.messages()) >= 3)``.
        """
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages():
                if predicate is None or predicate(message):
                    return message
            if time.monotonic() >= deadline:
                got = [str(m.get("Subject")) for m in self.messages()]
                raise TimeoutError(
                    f"no matching message within {timeout:.1f}s; subjects received: {got}"
                )
            await asyncio.sleep(interval)
