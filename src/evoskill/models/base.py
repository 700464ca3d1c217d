"""The model contract every backend meets, plus what they all share: the retry loop, the price table, the
call scope (the task's deadline and seed, read by every backend), reasoning-text stripping and the meter
that counts every call of a run.

Budgets. ``complete(max_tokens=N)`` asks for a reply of about ``N`` *visible* tokens. A backend talking to
a reasoning model adds its thinking allowance on top (``reasoning_tokens``, or Anthropic's
``thinking_budget``), so reasoning never eats the answer's budget. A reply cut off by the limit comes
back with ``finish == "length"`` so the caller can say so instead of reporting a syntax error.

Errors. A failure retrying will not fix becomes a :class:`~evoskill.errors.ModelError`; one that no other
task would get past either (a rejected key, an unknown model, a rejected request parameter) is a
:class:`ConfigurationError`, which ends a run at once with one line.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
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
    """A model's reply and what it cost; ``cost_usd`` is None when no price is known.

    ``finish`` is ``"length"`` when the reply was cut off by the token limit (``"stop"`` when it ended on
    its own, None when the backend does not say); ``reasoning_tokens`` counts hidden reasoning (already
    included in ``tokens_out``, which is what is billed).
    """

    text: str
    tokens_in: int
    tokens_out: int
    seconds: float
    cost_usd: float | None
    model: str
    finish: str | None = None
    reasoning_tokens: int = 0

    @property
    def truncated(self) -> bool:
        return self.finish == "length"


@runtime_checkable
class Model(Protocol):
    """Anything that turns messages into a :class:`Completion`; ``id`` is ``provider:model``."""

    id: str

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion: ...


class ConfigurationError(ModelError):
    """A failure every call would hit (bad key, unknown model, rejected parameter): the run stops at once.

    ``param`` names the rejected request parameter, when the provider said which.
    """

    def __init__(self, message: str, *, provider: str | None = None, status: int | None = None,
                 fix: str | None = None, param: str | None = None) -> None:
        super().__init__(message, provider=provider, status=status, fix=fix)
        self.param = param


class CostLimitReached(ModelError):
    """The run's ``--max-cost`` is spent: no further model calls are made."""


@dataclass(frozen=True)
class Failure:
    """A backend's reading of an exception: HTTP-like ``status`` (None for connection/timeouts), retryable?"""

    status: int | None
    retryable: bool
    detail: str
    #: seconds the server asked us to wait (``Retry-After`` / ``retry-after-ms``), if it said
    retry_after: float | None = None
    #: the request parameter the server rejected (HTTP 400 only), e.g. ``temperature`` or ``max_tokens``
    param: str | None = None


# USD per million tokens (input, output), list prices of the providers' own APIs; prefixes match dated and
# point variants (``claude-sonnet-4-5-20250929``, ``gpt-5-mini-2025-08-07``). The longest prefix wins, so a
# newer family member listed here is never billed at an older member's rate.
PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4.1-nano": (0.10, 0.40),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-5-nano": (0.05, 0.40),
    "openai:gpt-5-mini": (0.25, 2.00),
    "openai:gpt-5": (1.25, 10.00),
    "openai:gpt-5.1": (1.25, 10.00),
    "openai:gpt-5.1-codex": (1.25, 10.00),
    "openai:gpt-5.2": (1.75, 14.00),
    "openai:gpt-5.4": (2.50, 15.00),
    "openai:o3": (2.00, 8.00),
    "openai:o3-mini": (1.10, 4.40),
    "openai:o4-mini": (1.10, 4.40),
    "anthropic:claude-3-5-haiku": (0.80, 4.00),
    "anthropic:claude-haiku-4-5": (1.00, 5.00),
    "anthropic:claude-sonnet-4": (3.00, 15.00),
    "anthropic:claude-sonnet-4-5": (3.00, 15.00),
    "anthropic:claude-sonnet-4-6": (3.00, 15.00),
    "anthropic:claude-opus-4": (15.00, 75.00),
    "anthropic:claude-opus-4-1": (15.00, 75.00),
    "anthropic:claude-opus-4-5": (5.00, 25.00),
    "anthropic:claude-opus-4-6": (5.00, 25.00),
}


def price_of(model_id: str, tokens_in: int, tokens_out: int,
             prices: dict[str, tuple[float, float]] | None = None) -> float | None:
    """Cost in USD of one call, from the longest matching :data:`PRICES` prefix; None if unknown."""
    table = PRICES if prices is None else prices
    best = max((k for k in table if model_id == k or model_id.startswith(k + "-")), key=len, default=None)
    if best is None:
        return None
    pin, pout = table[best]
    return (tokens_in * pin + tokens_out * pout) / 1_000_000


def one_line(text: str, limit: int = 300) -> str:
    """``text`` with all whitespace runs made single spaces, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit - 3] + "..."


_PARAM_MESSAGE = re.compile(r"^(?:[a-z_]+(?:\.[a-z_0-9]+)*):|unsupported (?:parameter|value)|not supported|"
                            r"extra inputs are not permitted|unrecognized request argument|unknown parameter",
                            re.I)


def rejected_parameter(status: int | None, detail: str, param: str | None = None) -> bool:
    """Whether an HTTP 400 rejected a request parameter (a configuration error) rather than this one prompt
    (too long, say), which another task might get past."""
    if status not in (400, 422):
        return False
    if param and param not in ("messages", "prompt", "input"):
        return True
    if re.search(r"too long|context length|maximum context|prompt is too", detail, re.I):
        return False
    return bool(_PARAM_MESSAGE.search(detail.strip()))


def explain(provider: str, model: str, status: int | None, detail: str, param: str | None = None) -> ModelError:
    """A clear one-line :class:`ModelError` for a failure that retrying will not fix."""
    detail = one_line(detail)
    if status in (401, 403):
        return ConfigurationError(f"{provider} rejected the API key (HTTP {status}): {detail}", provider=provider,
                                  status=status, fix=f"check the key, e.g. `evoskill keys set {provider}`")
    if status == 404:
        return ConfigurationError(f"{provider} has no model {model!r} (HTTP 404): {detail}", provider=provider,
                                  status=status, fix="check the model name after the colon")
    if rejected_parameter(status, detail, param):
        what = f"parameter {param!r}" if param else "a request parameter"
        return ConfigurationError(f"{provider} rejected {what} for {model!r} (HTTP {status}): {detail}",
                                  provider=provider, status=status, param=param,
                                  fix="drop or change that setting (--model-option), or pick another model")
    what = f"HTTP {status}" if status is not None else "no response"
    return ModelError(f"{provider} call to {model!r} failed ({what}): {detail}", provider=provider, status=status)


# ---------------------------------------------------------------- the call scope (deadline, seed)

_scope = threading.local()


@contextlib.contextmanager
def call_scope(*, deadline: float | None = None, seed: int | None = None) -> Iterator[None]:
    """Within this block (this thread), model calls end by ``deadline`` (a :func:`time.monotonic` time):
    the request timeout, the retries and the waits between them all fit in what is left; ``seed`` goes to
    backends that accept one. Scopes nest; the inner deadline never extends the outer one."""
    outer = (getattr(_scope, "deadline", None), getattr(_scope, "seed", None))
    if outer[0] is not None and deadline is not None:
        deadline = min(deadline, outer[0])
    _scope.deadline = deadline if deadline is not None else outer[0]
    _scope.seed = seed if seed is not None else outer[1]
    try:
        yield
    finally:
        _scope.deadline, _scope.seed = outer


def time_left() -> float | None:
    """Seconds left in the current :func:`call_scope` (None: no deadline)."""
    deadline = getattr(_scope, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


def scoped_seed() -> int | None:
    """The seed of the current :func:`call_scope`, if any."""
    return getattr(_scope, "seed", None)


def request_timeout(default: float) -> float:
    """The timeout of one HTTP request: ``default``, cut to what is left of the scope (at least 1 s)."""
    left = time_left()
    return default if left is None else max(1.0, min(default, left))


# ---------------------------------------------------------------- reasoning text

_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_OPEN_THINK = re.compile(r"<(think|thinking|reasoning)>", re.I)


def strip_thinking(text: str) -> tuple[str, bool]:
    """``text`` without ``<think>...</think>`` blocks (open models that reason in their output), and whether
    any was there. An unclosed ``<think>`` means the reply ended while still reasoning: nothing is left."""
    cleaned, n = _THINK.subn("", text or "")
    m = _OPEN_THINK.search(cleaned)
    if m is not None:
        cleaned, n = cleaned[:m.start()], n + 1
    # a reply that starts mid-reasoning (the template opened <think> for it) ends its reasoning with </think>
    if "</think>" in cleaned:
        cleaned, n = cleaned.rsplit("</think>", 1)[1], n + 1
    return (cleaned.strip(), True) if n else (text or "", False)


# ---------------------------------------------------------------- retries

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
    spent, become a ModelError (a :class:`ConfigurationError` for keys, models and parameters). Inside a
    :func:`call_scope` with a deadline, no try starts and no wait is made past it.
    """
    attempt = 0
    while True:
        left = time_left()
        if left is not None and left <= 0:
            raise ModelError(f"{provider} call to {model!r} not made: the task's time budget is used up",
                             provider=provider)
        try:
            return call()
        except ModelError:
            raise
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            if failure.retry_after is not None:
                delay = min(failure.retry_after, MAX_RETRY_AFTER)
            else:
                delay = min(max_delay, base_delay * 2 ** attempt) * (0.5 + random.random() / 2)
            left = time_left()
            out_of_time = left is not None and delay >= left
            if not failure.retryable or attempt >= retries or out_of_time:
                err = explain(provider, model, failure.status, failure.detail, failure.param)
                if failure.retryable:
                    err.message += (" (no time left in the task budget to retry)" if out_of_time and
                                    attempt < retries else f" (gave up after {attempt + 1} tries)")
                raise err from exc
            (sleep or _sleep)(delay)
            attempt += 1


def status_retryable(status: int | None) -> bool:
    """Rate limits, timeouts and server errors are worth another try; other client errors are not."""
    return status is None or status in (408, 409, 425, 429) or status >= 500


# ---------------------------------------------------------------- the meter


@dataclass
class Usage:
    """What the model calls of a run cost so far."""

    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    #: calls whose price is unknown (a local or self-hosted model): their cost is not in ``cost_usd``
    unpriced_calls: int = 0
    truncated: int = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["cost_usd"] = round(self.cost_usd, 6)
        return d

    def minus(self, other: Usage) -> Usage:
        return Usage(*(a - b for a, b in zip(asdict(self).values(), asdict(other).values(), strict=True)))


class Metered:
    """A model that counts every call made through it (proposer, repairs, anything) and refuses new calls
    once ``max_cost`` USD are spent (:class:`CostLimitReached`). Thread-safe; everything else is passed
    through to the wrapped model."""

    def __init__(self, model: Any, *, max_cost: float | None = None) -> None:
        self.model = model
        self.id = model.id
        self.max_cost = max_cost
        self._usage = Usage()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # reply_tokens, base_url, ... of the wrapped model
        return getattr(self.model, name)

    def usage(self) -> Usage:
        """A copy of the totals so far."""
        with self._lock:
            return Usage(**asdict(self._usage))

    def spent(self) -> bool:
        """Whether ``max_cost`` is reached."""
        with self._lock:
            return self.max_cost is not None and self._usage.cost_usd >= self.max_cost

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        if self.spent():
            raise CostLimitReached(f"the run's cost limit of ${self.max_cost:g} is reached; no more model calls",
                                   provider=self.id.partition(":")[0])
        reply: Completion = self.model.complete(messages, max_tokens=max_tokens, temperature=temperature,
                                                stop=stop)
        with self._lock:
            u = self._usage
            u.calls += 1
            u.tokens_in += reply.tokens_in
            u.tokens_out += reply.tokens_out
            u.reasoning_tokens += reply.reasoning_tokens
            u.truncated += 1 if reply.truncated else 0
            if reply.cost_usd is None:
                u.unpriced_calls += 1
            else:
                u.cost_usd += reply.cost_usd
        if reply.cost_usd is None and self.max_cost is not None:
            raise ConfigurationError(f"no price is known for {self.id}, so --max-cost cannot be kept",
                                     provider=self.id.partition(":")[0],
                                     fix='set "price": [USD_IN, USD_OUT] per million tokens for it in models.json, '
                                         "or drop --max-cost")
        return reply
