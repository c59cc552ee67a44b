"""`Origin` checks: ours is the public base URL's origin and `cors_origins`, matched exactly."""

from __future__ import annotations

from taskflow.common.origins import allowed_origins, origin_allowed
from taskflow.common.settings import ServiceSettings


def test_only_our_origins_pass_and_no_lookalike() -> None:
    s = ServiceSettings(
        public_base_url="https://tasks.example.com/app/", cors_origins=["http://localhost:5173/"]
    )
    assert allowed_origins(s) == {"https://tasks.example.com", "http://localhost:5173"}
    assert origin_allowed("https://tasks.example.com", s)
    assert origin_allowed("http://localhost:5173", s)
    assert origin_allowed(None, s)  # not a browser's cross-site request
    for other in (
        "https://tasks.example.com.evil.example",
        "http://tasks.example.com",
        "https://evil.example",
        "null",
        "",
    ):
        assert not origin_allowed(other, s), other
