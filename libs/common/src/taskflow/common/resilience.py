"""Calls to other systems: a circuit breaker shared through Redis, and bounded retries.

`AsyncCircuitBreaker` (in `breaker.py`, importable from here) keeps its state in Redis, shared
by every replica, and degrades to a process-local state when Redis does not answer.

`ResilientClient` is httpx + tenacity (every retry stops after N attempts *and* a total
delay, with jittered exponential waits) + the breaker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from taskflow.common.breaker import AsyncCircuitBreaker as AsyncCircuitBreaker
from taskflow.common.breaker import CircuitBreakerError as CircuitBreakerError
from taskflow.common.errors import ServiceUnavailable
from taskflow.common.logging import get_logger

log = get_logger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"retryable status {response.status_code}")
        self.response = response


class _ServerError(Exception):
    """A 5xx answer, raised inside the breaker so that it counts as a failure."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"server error {response.status_code}")
        self.response = response


class ResilientClient:
    """An httpx client whose requests go through a breaker and bounded, jittered retries.

    Only transport errors and 429/502/503/504 are retried, and only for idempotent methods
    unless `retry=True` is passed to `request`. After the last attempt a retryable status is
    returned to the caller as it is; a transport error or an open breaker raises
    `ServiceUnavailable` (503 `upstream_unavailable`).
    """

    def __init__(
        self,
        base_url: str,
        *,
        breaker: AsyncCircuitBreaker | None = None,
        attempts: int = 3,
        timeout: float = 5.0,
        max_wait: float = 2.0,
        initial_wait: float = 0.1,
        total_timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self.breaker = breaker
        self.attempts = attempts
        self.max_wait = max_wait
        self.initial_wait = initial_wait
        self.total_timeout = (
            total_timeout if total_timeout is not None else attempts * (timeout + max_wait)
        )
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers=dict(headers or {}),
            transport=transport,
        )

    def retry_policy(self) -> AsyncRetrying:
        """The tenacity policy of one request: always bounded by attempts and total delay."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.total_timeout),
            wait=wait_exponential_jitter(multiplier=self.initial_wait, max=self.max_wait),
            retry=retry_if_exception_type((httpx.TransportError, _RetryableStatus)),
            reraise=True,
        )

    async def _send_once(self, method: str, url: str, kwargs: dict[str, Any]) -> httpx.Response:
        async def attempt() -> httpx.Response:
            resp = await self._client.request(method, url, **kwargs)
            if resp.status_code >= 500:
                raise _ServerError(resp)
            return resp

        try:
            if self.breaker is None:
                return await attempt()
            return await self.breaker.call(attempt)
        except _ServerError as exc:
            return exc.response

    async def request(
        self, method: str, url: str, *, retry: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request with the breaker and the retry policy; see the class docstring."""
        method = method.upper()
        may_retry = retry if retry is not None else method in IDEMPOTENT_METHODS
        policy = self.retry_policy()
        if not may_retry:
            policy = policy.copy(stop=stop_after_attempt(1))
        try:
            async for attempt in policy:
                with attempt:
                    resp = await self._send_once(method, url, kwargs)
                    if resp.status_code in RETRY_STATUSES:
                        raise _RetryableStatus(resp)
                    return resp
        except _RetryableStatus as exc:
            return exc.response
        except CircuitBreakerError:
            log.warning("upstream_breaker_open", breaker=getattr(self.breaker, "name", None))
            raise ServiceUnavailable(
                "An upstream service is unavailable.", code="upstream_unavailable"
            ) from None
        except httpx.TransportError as exc:
            log.warning("upstream_unreachable", error_type=type(exc).__name__)
            raise ServiceUnavailable(
                "An upstream service is unavailable.", code="upstream_unavailable"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ResilientClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
