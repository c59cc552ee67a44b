"""The fuzz harness fails where it must: each check it promises, on a small app that breaks it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from taskflow.testing.fuzz import Fuzzer

TOKEN = "the-real-token"
bearer = HTTPBearer(auto_error=False)
Creds = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
UNAUTHORIZED = {401: {"description": "Unauthorized"}}


class Item(BaseModel):
    id: int


class Body(BaseModel):
    size: int = Field(ge=1, le=10)


def check(creds: HTTPAuthorizationCredentials | None) -> None:
    if creds is None or creds.credentials != TOKEN:
        raise HTTPException(401)


def toy() -> FastAPI:
    app = FastAPI()

    @app.get("/fine", response_model=Item, responses=UNAUTHORIZED)
    async def fine(creds: Creds) -> Item:
        check(creds)
        return Item(id=1)

    @app.get("/leaky", response_model=Item, responses=UNAUTHORIZED)
    async def leaky(creds: Creds) -> Item:
        return Item(id=1)  # declares the bearer scheme, never looks at it

    @app.get("/boom", response_model=Item, responses=UNAUTHORIZED)
    async def boom(creds: Creds) -> Item:
        check(creds)
        raise HTTPException(500)

    @app.get("/wrong", response_model=None, responses={200: {"model": Item}, **UNAUTHORIZED})
    async def wrong(creds: Creds) -> dict[str, str]:
        check(creds)
        return {"id": "not a number"}

    @app.post("/lenient", response_model=Item, responses=UNAUTHORIZED)
    async def lenient(creds: Creds) -> Item:
        check(creds)
        return Item(id=2)  # takes no body in code, so an invalid one is "accepted"

    app.openapi_schema = None
    doc = app.openapi()
    doc["paths"]["/lenient"]["post"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": Body.model_json_schema()}},
    }
    return app


@pytest.fixture(scope="module")
def fuzzer() -> Iterator[Fuzzer]:
    f = Fuzzer(toy(), TOKEN)
    try:
        yield f
    finally:
        f.close()


def test_a_sound_operation_passes(fuzzer: Fuzzer) -> None:
    fuzzer.run("GET /fine", count=5)


@pytest.mark.parametrize(
    ("operation", "failure"),
    [
        ("GET /leaky", "API accepts requests without authentication"),
        ("GET /boom", "Server error"),
        ("GET /wrong", "Response violates schema"),
        ("POST /lenient", "Schema-violating request accepted"),
    ],
)
def test_each_check_fails_the_operation_that_breaks_it(
    fuzzer: Fuzzer, operation: str, failure: str
) -> None:
    # Schemathesis reports a failure as an exception group, a BaseException.
    with pytest.raises(BaseException, match=failure):
        fuzzer.run(operation, count=5)
