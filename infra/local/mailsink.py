"""Development SMTP sink: keeps every message it receives as an .eml file.

    python infra/local/mailsink.py --dir .dev/mail --port 1025

Open the files with any mail client, or read them back with `email.message_from_bytes`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class EmlWriter:
    """aiosmtpd handler that writes each accepted message to <dir>/<time>-<id>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)  # atomic: readers never see half a message
        print(f"mail from {envelope.mail_from} to {', '.join(envelope.rcpt_tos)} -> {name}")
        return "250 Message accepted for delivery"


async def serve(folder: Path, host: str, port: int) -> None:
    controller = Controller(EmlWriter(folder), hostname=host, port=port)
    controller.start()
    print(f"SMTP sink on {host}:{port}, writing to {folder}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(".dev/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    asyncio.run(serve(args.dir, args.host, args.port))


if __name__ == "__main__":
    main()
