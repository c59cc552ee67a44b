"""The outbound guard: every refused range, names that resolve to private addresses, no
redirects, bounded reads, and the connection going to the address that was checked."""

from __future__ import annotations

import ipaddress

import pytest

from taskflow.tasks.webhooks.outbound import (
    Outbound,
    RefusedTarget,
    refusal,
    resolve_checked,
    system_resolver,
)

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.10": "loopback",
    "::1": "loopback",
    "10.0.0.5": "private",
    "172.16.3.4": "private",
    "192.168.1.1": "private",
    "fd12:3456::1": "private",
    "169.254.169.254": "metadata",
    "169.254.1.1": "link_local",
    "fe80::1": "link_local",
    "fd00:ec2::254": "metadata",
    "100.100.100.200": "metadata",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "100.64.0.1": "not_global",  # carrier-grade NAT (shared address space)
    "192.0.2.10": "private",  # documentation range
    "240.0.0.1": "private",  # reserved (future use)
    "::ffff:127.0.0.1": "loopback",  # IPv4-mapped IPv6
    "::ffff:10.0.0.1": "private",
    "::ffff:169.254.169.254": "metadata",
    "192.0.0.192": "metadata",  # Oracle Cloud (Python calls it global)
    "168.63.129.16": "metadata",  # Azure WireServer (a global address)
    "2002:7f00:1::": "loopback",  # 6to4 around 127.0.0.1
    "2002:a00:1::1": "private",  # 6to4 around 10.0.0.1
    "2002:a9fe:a9fe::": "metadata",  # 6to4 around 169.254.169.254
    "fec0::1": "private",  # deprecated site-local
    "::127.0.0.1": "reserved",  # IPv4-compatible (deprecated)
    "64:ff9b::a00:1": "reserved",  # NAT64 around 10.0.0.1
    "198.18.0.1": "private",  # benchmarking
    "255.255.255.255": "private",  # broadcast
    "2001:db8::1": "private",  # documentation
}


@pytest.mark.parametrize(("address", "why"), sorted(REFUSED.items()))
async def test_every_non_public_range_is_refused(address, why):
    ip = ipaddress.ip_address(address)
    assert refusal(ip) == why
    host = f"[{address}]" if ip.version == 6 else address
    with pytest.raises(RefusedTarget, match=why):
        await resolve_checked(f"https://{host}/hook", allow_private=False)


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1", "::ffff:8.8.8.8"],
)
async def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "host",
    ["169.254.169.254", "[fd00:ec2::254]", "[::ffff:169.254.169.254]", "192.0.0.192", "metadata"],
)
async def test_metadata_addresses_are_refused_even_where_private_targets_are_allowed(host):
    """A deployment that allows its own network still never reaches the cloud's metadata
    service (a name resolving to it included)."""

    async def resolver(name: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    with pytest.raises(RefusedTarget, match="metadata"):
        await resolve_checked(f"http://{host}/latest", allow_private=True, resolver=resolver)
    # the rest of the non-public ranges is what the setting is for
    assert await resolve_checked("http://10.1.2.3/x", allow_private=True) == (
        ipaddress.ip_address("10.1.2.3")
    )


async def test_a_name_resolving_to_loopback_is_refused():
    """`localhost` is resolved for real (system resolver) and refused."""
    assert "127.0.0.1" in await system_resolver("localhost", 443) or "::1" in (
        await system_resolver("localhost", 443)
    )
    with pytest.raises(RefusedTarget, match="loopback"):
        await resolve_checked("https://localhost/hook", allow_private=False)


async def test_a_name_resolving_to_a_private_address_is_refused_even_among_public_ones():
    async def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.customer.example", 8443)
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(RefusedTarget, match="private"):
        await resolve_checked(
            "https://hooks.customer.example:8443/x", allow_private=False, resolver=resolver
        )


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "017700000001"])
async def test_numeric_spellings_of_loopback_are_resolved_and_refused(host):
    """Names that are no IP literal to `ipaddress` but that the system resolver reads as one
    (decimal, hex, short and octal forms) end up as the address they mean, and are refused."""
    with pytest.raises(RefusedTarget, match="loopback"):
        await resolve_checked(f"http://{host}/hook", allow_private=False)


async def test_unresolvable_names_are_refused():
    with pytest.raises(RefusedTarget, match="unresolvable"):
        await resolve_checked("https://no-such-host.invalid/x", allow_private=False)


async def test_refused_targets_are_never_contacted(receiver):
    """The guard answers without a connection: the receiver on loopback sees nothing."""
    out = Outbound(allow_private=False, require_https=False)
    try:
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            answer = await out.post(url, {}, b"{}")
            assert answer.status is None
            assert answer.error == "refused_target:loopback"
    finally:
        await out.aclose()
    assert receiver.started == []


async def test_the_checked_address_is_the_one_connected_to(receiver):
    """A name is resolved once, by the guard; the request goes to that address with the
    name in `Host` (a resolver that would answer differently later is never asked again)."""
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["10.9.9.9"]

    port = receiver.url.split(":")[2].split("/")[0]
    out = Outbound(allow_private=True, require_https=False, resolver=resolver)
    try:
        answer = await out.post(f"http://hooks.customer.example:{port}/hook", {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status == 200
    assert calls == ["hooks.customer.example"]
    assert receiver.got[0].headers["host"] == f"hooks.customer.example:{port}"


async def test_redirects_are_not_followed(receiver, reply):
    receiver.script = [reply(302, {"location": "http://169.254.169.254/latest/meta-data/"})]
    out = Outbound(allow_private=True, require_https=False)
    try:
        answer = await out.post(receiver.url, {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status == 302
    assert len(receiver.started) == 1


async def test_only_the_first_bytes_of_an_answer_are_read(receiver, reply):
    receiver.script = [reply(200, body=b"x" * 200_000)]
    out = Outbound(allow_private=True, require_https=False, max_body=1024)
    try:
        answer = await out.post(receiver.url, {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status == 200
    assert 0 < len(answer.excerpt) <= 1024


async def test_a_stalled_receiver_is_a_timeout(receiver, reply):
    receiver.script = [reply(200, stall=3)]
    out = Outbound(allow_private=True, require_https=False, read_timeout=0.3)
    try:
        answer = await out.post(receiver.url, {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status is None
    assert answer.error == "timeout"
    assert answer.duration_ms < 2500


async def test_https_only_when_required():
    out = Outbound(allow_private=True, require_https=True)
    try:
        answer = await out.post("http://hooks.example.com/x", {}, b"{}")
    finally:
        await out.aclose()
    assert answer.error == "refused_target:scheme"


@pytest.fixture(scope="module")
def tls_receiver(tmp_path_factory):
    """An https receiver on loopback whose certificate names `hooks.test` (a test CA)."""
    import ssl
    import threading
    import time

    import trustme
    import uvicorn

    from taskflow.testing import free_port

    ca = trustme.CA()
    cert = ca.issue_cert("hooks.test")
    pem = tmp_path_factory.mktemp("tls") / "server.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
    seen: list[str] = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        seen.append(dict(scope["headers"]).get(b"host", b"").decode())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
            ssl_certfile=str(pem), ssl_keyfile=str(pem),
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    yield port, context, seen
    server.should_exit = True
    thread.join(5)


async def _to_loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_https_goes_to_the_checked_address_and_verifies_the_name(tls_receiver):
    """The connection is to the resolved IP, yet TLS (SNI and the certificate check) and
    `Host` use the URL's name."""
    port, context, seen = tls_receiver
    out = Outbound(allow_private=True, require_https=True, resolver=_to_loopback, verify=context)
    try:
        answer = await out.post(f"https://hooks.test:{port}/hook", {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status == 204, answer
    assert seen[-1] == f"hooks.test:{port}"


async def test_a_certificate_for_another_name_is_refused(tls_receiver):
    port, context, seen = tls_receiver
    before = len(seen)
    out = Outbound(allow_private=True, require_https=True, resolver=_to_loopback, verify=context)
    try:
        answer = await out.post(f"https://other.test:{port}/hook", {}, b"{}")
    finally:
        await out.aclose()
    assert answer.status is None
    assert answer.error is not None
    assert answer.error.startswith("connection_error")
    assert len(seen) == before
