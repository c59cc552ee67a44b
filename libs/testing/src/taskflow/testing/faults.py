"""A TCP proxy that injects network faults between the code under test and a real server.

The servers on this machine are shared by every engineer and every run, so tests never stop or
reconfigure them; they point the client at a proxy and break the proxy instead:

* ``drop()``: reset every open connection and refuse new ones (the server "went away");
* ``stall()``: keep connections open but forward nothing either way, and leave new ones
  hanging before they reach the server (a partition or a hung server: only timeouts help);
* ``restore()``: forward again; bytes held during a stall are delivered then, as after a
  healed partition.

The proxy runs on the test's event loop; every task it starts is tracked and finished by
``close()`` so nothing is left running or logged after the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_CHUNK = 64 * 1024


class ProxyState(enum.Enum):
    FORWARDING = "forwarding"
    STALLED = "stalled"
    DROPPED = "dropped"


@dataclass(eq=False)
class _Link:
    """One client connection and, once made, its upstream connection."""

    client: asyncio.StreamWriter
    task: asyncio.Task[Any] | None = None
    upstream: asyncio.StreamWriter | None = None
    pumps: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        """Reset both sides now (RST, no goodbye), as a vanished peer would."""
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.transport.abort()

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None and not writer.is_closing():
                writer.close()


class TcpProxy:
    """Forward ``host:port`` (127.0.0.1, a free port) to ``target_host:target_port``."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        connect_timeout: float = 5.0,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.state = ProxyState.FORWARDING
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._links: set[_Link] = set()
        self._closed = False

    @property
    def connections(self) -> int:
        """Client connections open through the proxy right now (stalled ones included)."""
        return len(self._links)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def url_for(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's (user info, path kept)."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    async def start(self) -> TcpProxy:
        """Start listening (on a free port unless one was given)."""
        await self._listen()
        return self

    async def _listen(self) -> None:
        if self._server is not None:
            return
        # The port stays ours between drop() and restore() in practice, but a brief retry
        # covers the moment the kernel still holds it.
        last: OSError | None = None
        for _ in range(20):
            try:
                self._server = await asyncio.start_server(
                    self._on_client, self.host, self.port, reuse_address=True
                )
                break
            except OSError as exc:
                if self.port == 0:
                    raise
                last = exc
                await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"proxy cannot listen again on {self.host}:{self.port}: {last!r}")
        self.port = self._server.sockets[0].getsockname()[1]

    async def _unlisten(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    async def _reset_links(self) -> None:
        links = list(self._links)
        for link in links:
            link.abort()
            if link.task is not None:
                link.task.cancel()
        tasks = [link.task for link in links if link.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def drop(self) -> None:
        """Reset every open connection and refuse new ones until ``restore()``."""
        self.state = ProxyState.DROPPED
        await self._unlisten()
        self._flowing.set()  # nothing is waiting for it once the links are gone
        await self._reset_links()

    async def stall(self) -> None:
        """Stop forwarding in both directions; accept new connections but leave them hanging."""
        self.state = ProxyState.STALLED
        self._flowing.clear()
        await self._listen()

    async def restore(self) -> None:
        """Forward normally again (re-listening after ``drop()``)."""
        await self._listen()
        self.state = ProxyState.FORWARDING
        self._flowing.set()

    async def close(self) -> None:
        """Stop listening, reset every connection and wait for every task to finish."""
        self._closed = True
        await self._unlisten()
        self._flowing.set()
        await self._reset_links()

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # This coroutine runs as a task asyncio creates for start_server; asyncio 3.11 logs
        # "Exception in callback" when such a task ends cancelled or failed, so it must
        # always return normally, cancellation included.
        link = _Link(client=writer, task=asyncio.current_task())
        self.accepted += 1
        if self._closed or self.state is ProxyState.DROPPED:
            writer.transport.abort()
            return
        self._links.add(link)
        try:
            await self._flowing.wait()  # stalled: never reach the server
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection(self.target_host, self.target_port),
                    self.connect_timeout,
                )
            except (OSError, TimeoutError):
                link.abort()
                return
            link.upstream = up_writer
            await asyncio.gather(
                self._pump(reader, up_writer, link), self._pump(up_reader, writer, link)
            )
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            link.abort()
        except Exception:
            link.abort()
        finally:
            self._links.discard(link)
            link.close()

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Copy one direction until EOF; half-close the other side then, like TCP does."""
        try:
            while True:
                await self._flowing.wait()
                data = await source.read(_CHUNK)
                if not data:
                    break
                await self._flowing.wait()  # a chunk read just before a stall waits here
                sink.write(data)
                await sink.drain()
            if sink.can_write_eof() and not sink.is_closing():
                sink.write_eof()
        except (OSError, RuntimeError):
            # A reset on one side ends the link; the other pump then sees EOF/reset too.
            link.abort()


async def open_proxy(
    target_host: str, target_port: int, *, connect_timeout: float = 5.0
) -> TcpProxy:
    """Start a :class:`TcpProxy` to ``target_host:target_port`` on a free local port."""
    return await TcpProxy(target_host, target_port, connect_timeout=connect_timeout).start()
