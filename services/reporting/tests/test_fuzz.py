"""Schemathesis over the reporting API (see taskflow.testing.fuzz and docs/fuzzing.md).

The caller owns the scenario's project P (so every report, the team one too, answers 200) on
read models built from the scenario's events; generated ids reach the 404 paths.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from reporting_testkit import MS, O, P, apply_all, build

from taskflow.testing.fuzz import Fuzzer, operations
from taskflow.testing.scopes import ALL_ROLES

OPENAPI = Path(__file__).parents[1] / "openapi.json"


@pytest.fixture(scope="module")
def fuzzer(
    reporting_url: str,
    key_source: Any,
    redis_url: str,
    redis_prefix: str,
    amqp_url: str,
    mint_token: Callable[..., str],
) -> Iterator[Fuzzer]:
    """An app of the fuzz run's own (served on schemathesis's loop), as the owner O."""
    from taskflow.reporting.config import Settings
    from taskflow.reporting.main import build_app

    settings = Settings(
        database_url=SecretStr(reporting_url),
        amqp_url=SecretStr(amqp_url),
        redis_url=SecretStr(redis_url),
        redis_prefix=redis_prefix,
        environment="test",
        log_json=False,
        log_level="WARNING",
    )
    fuzzer = Fuzzer(build_app(settings, key_source=key_source), mint_token(O, roles=ALL_ROLES))
    try:
        yield fuzzer
    finally:
        fuzzer.close()


@pytest.mark.parametrize("operation", operations(OPENAPI))
async def test_fuzz(operation: str, fuzzer: Fuzzer, sessionmaker: Any) -> None:
    await apply_all(sessionmaker, build().envelopes)
    fuzzer.run(operation, path_values={"project_id": [str(P)], "milestone_id": [str(MS)]})
