"""The one way the worker talks to a receiver: checked address, no redirects, bounded reads.

Server-side request forgery is the risk of sending to URLs that customers choose: a hook
pointing at `http://169.254.169.254/` or at an internal admin port would let a project admin
read or poke our own network. So, for every attempt:

1. the host is resolved here (`getaddrinfo`), and *every* address must be public: loopback,
   private (RFC 1918, ULA), link-local (cloud metadata lives there), multicast, shared
   (100.64/10), reserved, unspecified and IPv4-mapped forms of those are refused;
2. the request goes to that checked IP literal, with the original `Host` header and the TLS
   SNI / certificate check on the original name, so a second DNS answer (rebinding) is never
   used;
3. redirects are not followed (a 3xx is an answer like any other), timeouts are short and
   the body is read to at most `max_body` bytes, then the connection is dropped.

`allow_private` (a deployment setting; dev and tests enable it) lifts step 1's refusal for
every range but the cloud metadata addresses: a deployment that lets hooks reach its own
network (an on-premises CI, say) must still not hand a project admin the node's cloud
credentials.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

#: Metadata and host-agent services of cloud platforms, named on their own: some are inside
#: the generic ranges (AWS, GCP, Azure IMDS at 169.254.169.254; AWS IPv6 in a ULA; Alibaba in
#: the shared 100.64/10), but Oracle Cloud's (192.0.0.192) and Azure's WireServer
#: (168.63.129.16) are addresses Python's `ipaddress` calls global.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
        "168.63.129.16",
    )
)


class RefusedTarget(Exception):
    """The URL may not be called (scheme, credentials or a non-public address)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the event loop's `getaddrinfo`)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address, or None when it is.

    An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, 6to4
    `2002:aabb:ccdd::`) is judged by the IPv4 address inside: a host with a 6to4 route would
    reach it. Site-local `fec0::/10` is deprecated but still routed inside some networks.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return refusal(inner)
    checks = (
        (ip in METADATA, "metadata"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link_local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_private, "private"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not_global"),
    )
    return next((why for hit, why in checks if hit), None)


def check_url(url: str, *, require_https: bool) -> None:
    """Refuse URLs that are never valid targets, before any lookup (also used by the api)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or (require_https and parts.scheme != "https"):
        raise RefusedTarget("scheme")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise RefusedTarget("host")
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise RefusedTarget("port") from None


async def resolve_checked(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> IPAddress:
    """The address to connect to; raises `RefusedTarget` when any answer is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        answers: list[IPAddress] = [literal]
    else:
        try:
            answers = [ipaddress.ip_address(a.split("%")[0]) for a in await resolver(host, port)]
        except OSError:
            raise RefusedTarget("unresolvable") from None
        if not answers:
            raise RefusedTarget("unresolvable")
    for ip in answers:
        if (why := refusal(ip)) is not None and (not allow_private or why == "metadata"):
            raise RefusedTarget(why)
    return answers[0]


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: status (None when nothing did), time taken, the first bytes, an error."""

    status: int | None
    duration_ms: int
    excerpt: bytes = b""
    error: str | None = None
    retry_after: str | None = None


@dataclass
class Outbound:
    """The sender: one shared httpx client that never follows redirects."""

    allow_private: bool
    require_https: bool
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_body: int = 4096
    resolver: Resolver = system_resolver
    #: Certificate verification: the system's trust store; tests pass their own CA's context.
    verify: ssl.SSLContext | bool = True

    def __post_init__(self) -> None:
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout, pool=2.0)
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            http2=False,
            verify=self.verify,
        )

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """POST `body` to `url` through the guard; never raises for the receiver's faults."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            check_url(url, require_https=self.require_https)
            ip = await resolve_checked(
                url, allow_private=self.allow_private, resolver=self.resolver
            )
        except RefusedTarget as exc:
            return Answer(None, took(), error=f"refused_target:{exc}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"[{ip}]" if ip.version == 6 else str(ip)
        if parts.port:
            netloc += f":{parts.port}"
        target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        send_headers = {
            **headers,
            "host": parts.netloc.rsplit("@", 1)[-1],
            "content-type": "application/json",
            "user-agent": "Taskflow-Webhooks/1",
            "accept-encoding": "identity",
        }
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        deadline = self.connect_timeout + self.read_timeout + 2.0
        try:
            async with asyncio.timeout(deadline):
                request = self._client.build_request(
                    "POST", target, headers=send_headers, content=body, extensions=extensions
                )
                response = await self._client.send(request, stream=True)
                try:
                    excerpt = b""
                    async for chunk in response.aiter_raw():
                        excerpt += chunk
                        if len(excerpt) >= self.max_body:
                            break
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return Answer(None, took(), error="timeout")
        except httpx.TransportError as exc:
            return Answer(None, took(), error=f"connection_error:{type(exc).__name__}")
        except Exception as exc:  # a receiver's odd answer must never stop
            # the sender's loop (the delivery is retried, then fails, like any fault)
            return Answer(None, took(), error=f"send_error:{type(exc).__name__}")
        return Answer(
            response.status_code,
            took(),
            excerpt[: self.max_body],
            retry_after=response.headers.get("retry-after"),
        )

    async def aclose(self) -> None:
        await self._client.aclose()
