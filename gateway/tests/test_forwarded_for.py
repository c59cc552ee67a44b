"""The client cannot pick its own IP: nginx sets X-Forwarded-For, it never appends to it.

Auth throttles sign-ins per client IP and believes the X-Forwarded-For of its trusted proxy
(the gateway). If nginx appended to a header the client sent, the client would choose the
entry auth reads. These tests send forged headers through real nginx and feed what the
upstream received to auth's own key function.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import render

from taskflow.auth.config import Settings
from taskflow.auth.deps import client_ip

FORGED = ["203.0.113.9", "198.51.100.1, 203.0.113.9", "127.0.0.1", "not-an-ip"]


async def _seen(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, str]:
    # Any API path: the header is set once for every location (auth paths are rate-limited).
    r = await client.get("/api/v1/projects/echo", headers=headers)
    assert r.status_code == 200, r.text
    seen: dict[str, str] = r.json()["headers"]
    return seen


@pytest.mark.parametrize("forged", FORGED)
async def test_forged_forwarded_for_is_replaced_by_the_peer_address(
    client: httpx.AsyncClient, forged: str
) -> None:
    honest = await _seen(client, {})
    lying = await _seen(client, {"X-Forwarded-For": forged})
    # nginx sends the address the client connected from, and only that.
    assert honest["x-forwarded-for"] == "127.0.0.1"
    assert lying["x-forwarded-for"] == "127.0.0.1"
    # Auth, behind the gateway (its peer is the trusted gateway), derives the same throttle
    # key from both: the forged header changed nothing.
    trusted = Settings().proxy_networks()
    key_honest = client_ip("127.0.0.1", honest.get("x-forwarded-for"), trusted)
    key_lying = client_ip("127.0.0.1", lying.get("x-forwarded-for"), trusted)
    assert key_honest == key_lying == "127.0.0.1"


def test_trusted_edge_renders_realip_and_refuses_typos(tmp_path: Path) -> None:
    env = {"TRUSTED_EDGE": "10.1.0.0/16, 192.0.2.7", "SPA_ROOT": str(tmp_path)}
    render.render(tmp_path / "edge", env)
    conf = (tmp_path / "edge" / "taskflow-locations.conf").read_text()
    assert "set_real_ip_from 10.1.0.0/16;" in conf
    assert "set_real_ip_from 192.0.2.7;" in conf
    assert "real_ip_header X-Forwarded-For;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
    plain = tmp_path / "plain"
    render.render(plain, {"SPA_ROOT": str(tmp_path)})
    assert "set_real_ip_from" not in (plain / "taskflow-locations.conf").read_text()
    with pytest.raises(ValueError):
        render.render(tmp_path / "bad", {"TRUSTED_EDGE": "the-load-balancer"})
