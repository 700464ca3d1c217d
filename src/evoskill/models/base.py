"""The model contract every backend meets, plus the one retry loop and price table they all share."""

from __future__ import annotations

import datetime
import email.utils
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from ..errors import ModelError

T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    """One chat turn; ``role`` is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Completion:
    """A model's reply and what it cost; ``cost_usd`` is None when no price is known."""

    text: str
    tokens_in: int
    tokens_out: int
    seconds: float
    cost_usd: float | None
    model: str


@runtime_checkable
class Model(Protocol):
    """Anything that turns messages into a :class:`Completion`; ``id`` is ``provider:model``."""

    id: str

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion: ...


@dataclass(frozen=True)
class Failure:
    """A backend's reading of an exception: HTTP-like ``status`` (None for connection/timeouts), retryable?"""

    status: int | None
    retryable: bool
    detail: str
    #: seconds the server asked us to wait (``Retry-After`` / ``retry-after-ms``), if it said
    retry_after: float | None = None


# USD per million tokens (input, output); prefixes match dated variants such as ``claude-sonnet-4-20250514``.
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4o": (2.50, 10.00),
    "anthropic:claude-3-5-haiku": (0.80, 4.00),
    "anthropic:claude-haiku-4-5": (1.00, 5.00),
    "anthropic:claude-sonnet-4": (3.00, 15.00),
    "anthropic:claude-opus-4": (15.00, 75.00),
}


def price_of(model_id: str, tokens_in: int, tokens_out: int) -> float | None:
    """Cost in USD of one call, from the longest matching :data:`PRICES` prefix; None if unknown."""
    best = max((k for k in PRICES if model_id == k or model_id.startswith(k + "-")), key=len, default=None)
    if best is None:
        return None
    pin, pout = PRICES[best]
    return (tokens_in * pin + tokens_out * pout) / 1_000_000


def explain(provider: str, model: str, status: int | None, detail: str) -> ModelError:
    """A clear :class:`ModelError` for a failure that retrying will not fix."""
    if status in (401, 403):
        return ModelError(f"{provider} rejected the API key (HTTP {status}): {detail}", provider=provider,
                          status=status, fix=f"check the key, e.g. `evoskill keys set {provider}`")
    if status == 404:
        return ModelError(f"{provider} has no model {model!r} (HTTP 404): {detail}", provider=provider,
                          status=status, fix="check the model name after the colon")
    what = f"HTTP {status}" if status is not None else "no response"
    return ModelError(f"{provider} call to {model!r} failed ({what}): {detail}", provider=provider, status=status)


_sleep = time.sleep  # the pause between retries; tests replace it

#: the longest ``Retry-After`` honoured; a server asking for more gets this (then the next try, or a clear error)
MAX_RETRY_AFTER = 60.0


def server_wait(exc: BaseException) -> float | None:
    """:func:`retry_after` of the HTTP response an SDK exception carries (``exc.response.headers``), if any."""
    return retry_after(getattr(getattr(exc, "response", None), "headers", None))


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from a response's ``retry-after-ms`` or ``Retry-After`` header (seconds or an HTTP
    date); None when absent or unreadable. ``headers`` is any case-insensitive mapping (httpx, requests)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(str(value))
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.UTC)
            return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())
    except (TypeError, ValueError, AttributeError):
        return None


def with_retries(call: Callable[[], T], *, provider: str, model: str,
                 classify: Callable[[BaseException], Failure | None], retries: int = 4,
                 base_delay: float = 0.5, max_delay: float = 8.0,
                 sleep: Callable[[float], None] | None = None) -> T:
    """Run ``call``; retry rate limits and transient failures with bounded, jittered exponential backoff.

    ``classify`` turns a backend exception into a :class:`Failure` (None: not a model failure, re-raised
    as is). When the server said how long to wait (``Retry-After``), that wait is used instead of the
    backoff, up to :data:`MAX_RETRY_AFTER`. Non-retryable failures, and retryable ones once ``retries`` are
    spent, become a ModelError.
    """
    attempt = 0
    while True:
        try:
            return call()
        except ModelError:
            raise
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if not failure.retryable or attempt >= retries:
                err = explain(provider, model, failure.status, failure.detail)
                if failure.retryable:
                    err.message += f" (gave up after {attempt + 1} tries)"
                raise err from exc
            if failure.retry_after is not None:
                delay = min(failure.retry_after, MAX_RETRY_AFTER)
            else:
                delay = min(max_delay, base_delay * 2 ** attempt) * (0.5 + random.random() / 2)
            (sleep or _sleep)(delay)
            attempt += 1


def status_retryable(status: int | None) -> bool:
    """Rate limits, timeouts and server errors are worth another try; other client errors are not."""
    return status is None or status in (408, 409, 425, 429) or status >= 500
