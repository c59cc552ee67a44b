"""Helpers of the taskflow.common tests (imported by conftest and the test modules)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, FastAPI
from jose import jwk, jwt
from pydantic import BaseModel

from taskflow.common.errors import NotFound, errors
from taskflow.common.logging import get_logger

ISSUER = "taskflow-auth"
AUDIENCE = "taskflow"
AppFactory = Callable[..., FastAPI]


class Keys:
    """An RSA key pair with its JWK set and a token minting helper."""

    def __init__(self, kid: str = "test-key-1") -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_pem = (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        public_jwk = jwk.construct(self.public_pem, "RS256").to_dict()
        public_jwk = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in public_jwk.items()}
        self.jwk = {**public_jwk, "kid": kid, "use": "sig", "alg": "RS256"}

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + 900,
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "roles": ["user"],
            "scope": "tasks:read tasks:write",
            "sid": "s1",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(self, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
        return jwt.encode(
            self.claims(**overrides),
            self.private_pem,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )

    def mint_with_alg(self, alg: str, **overrides: Any) -> str:
        """A token signed by this key with another RSA algorithm (one algorithm is pinned)."""
        return jwt.encode(
            self.claims(**overrides), self.private_pem, algorithm=alg, headers={"kid": self.kid}
        )


def client_for(app: FastAPI, **kw: Any) -> httpx.AsyncClient:
    """An httpx client driving the app in process (no lifespan, no sockets)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app on a real local port with uvicorn; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    # Poll generously (a loaded machine starts it late) and fail loudly rather than hand the
    # test a URL nothing listens on.
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on port {port}")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


#: A small app's routes that the app factory's tests call: a body, a path parameter, a crash.
demo_router = APIRouter()


class Login(BaseModel):
    email: str
    password: str
    attempts: int = 0


@demo_router.post("/login", responses=errors(NotFound))
async def login(body: Login) -> dict[str, Any]:
    """Log in."""
    get_logger("test").info("login", email=body.email, password=body.password, token="t0k3n")
    return {"ok": True}


@demo_router.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    """An item."""
    if item_id == 0:
        raise NotFound("No such item.")
    return {"id": item_id}


@demo_router.get("/boom")
async def boom() -> dict[str, str]:
    """Fails."""
    raise RuntimeError("db at 10.1.2.3 said no")


def problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    """Assert `resp` is the problem+json of `status` and `code`, with every member; return it."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    # Every member of the contract (ARCHITECTURE.md section 4), whatever raised the error.
    members = {"type", "title", "status", "detail", "instance", "code", "request_id"}
    assert members <= set(body), sorted(members - set(body))
    assert all(isinstance(body[k], str) and body[k] for k in members - {"status"}), body
    assert body["instance"] == resp.request.url.path
    assert body["code"] == code
    assert body["type"] == f"https://taskflow.dev/problems/{code}"
    assert body["status"] == status
    assert body["request_id"] == resp.headers["x-request-id"]
    return body
