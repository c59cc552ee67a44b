"""Which browser origins a service answers as "ours": the public base URL and `cors_origins`.

One definition for every check that looks at `Origin`: auth's cookie-mode refresh (CSRF) and
the live WebSocket's handshake (ASVS 5.0 4.4.2: a page on another site must not open a socket
in the user's browser). A request without `Origin` is not a browser's cross-site request
(browsers always send it on a WebSocket handshake and on a cross-origin POST), so it passes;
the credential checks that follow still apply to it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from taskflow.common.settings import ServiceSettings


def allowed_origins(settings: ServiceSettings) -> frozenset[str]:
    """`scheme://host[:port]` of the public base URL, plus each configured CORS origin."""
    origins = {o.rstrip("/") for o in settings.cors_origins}
    parts = urlsplit(settings.public_base_url)
    if parts.scheme and parts.netloc:
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return frozenset(origins)


def origin_allowed(origin: str | None, settings: ServiceSettings) -> bool:
    """True when there is no `Origin` or it is one of ours (compared exactly, no prefixes)."""
    return origin is None or origin.rstrip("/") in allowed_origins(settings)
