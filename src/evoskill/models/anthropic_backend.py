"""``anthropic:MODEL`` through the official ``anthropic`` SDK.

Options: ``api_key``, ``key_env``, ``base_url``, ``provider``, ``timeout`` (seconds per request, cut to the
task's budget), ``retries``, ``http_client``, and for thinking:

- ``thinking_budget``: extended thinking with this many tokens (at least 1024), added to every reply budget;
- ``thinking``: ``"adaptive"`` (the model decides how much to think; ``reasoning_tokens``, default 8000, are
  added to the reply budget) or ``"enabled"`` (with ``thinking_budget``);
- ``effort``: ``low`` .. ``max`` (sent as ``output_config.effort``);
- ``reply_tokens``: the visible reply budget the proposer asks for (default: the proposer's).

Other options are sent as request fields. System messages are joined into Anthropic's separate
``system`` field; only text blocks make the reply (thinking blocks are counted, not shown).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from typing import Any

from ..errors import MissingBackend
from ..keys import require_key
from .base import (
    Completion,
    Failure,
    Message,
    price_of,
    request_timeout,
    server_wait,
    status_retryable,
    with_retries,
)

MIN_THINKING = 1024
DEFAULT_REASONING_TOKENS = 8000


def _sdk() -> Any:
    try:
        import anthropic
    except ImportError:
        raise MissingBackend("the anthropic backend needs the anthropic package", extra="anthropic",
                             provider="anthropic") from None
    return anthropic


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("message"):
        return str(body["error"]["message"])
    return str(getattr(exc, "message", exc))


def classify(exc: BaseException) -> Failure | None:
    """Read an ``anthropic`` SDK exception as a :class:`Failure` (None if it is not one)."""
    anthropic = _sdk()
    if isinstance(exc, anthropic.APIStatusError):
        # 529 "overloaded" is Anthropic's transient status; status_retryable covers all 5xx.
        return Failure(exc.status_code, status_retryable(exc.status_code), _detail(exc)[:300], server_wait(exc))
    if isinstance(exc, anthropic.APIConnectionError):
        return Failure(None, True, f"{type(exc).__name__}: {exc}"[:300])
    return None


_FINISH = {"max_tokens": "length", "end_turn": "stop", "stop_sequence": "stop", "refusal": "refusal",
           "model_context_window_exceeded": "length"}


class AnthropicModel:
    """A Claude model behind the Anthropic Messages API."""

    def __init__(self, model: str, *, provider: str = "anthropic", api_key: str | None = None,
                 key_env: str | None = None, base_url: str | None = None, timeout: float = 60.0,
                 retries: int = 4, http_client: Any = None, thinking: str | dict[str, Any] | None = None,
                 thinking_budget: int | None = None, reasoning_tokens: int | None = None,
                 effort: str | None = None, reply_tokens: int | None = None, **extra: Any) -> None:
        anthropic = _sdk()
        self.model = model
        self.provider = provider
        self.id = f"{provider}:{model}"
        self.timeout = timeout
        self.retries = retries
        self.reply_tokens = reply_tokens
        self.extra = dict(extra)
        if effort:
            self.extra.setdefault("output_config", {})["effort"] = effort
        self.thinking: dict[str, Any] | None = None
        self.thinking_tokens = 0
        if isinstance(thinking, dict):
            self.thinking = dict(thinking)
            self.thinking_tokens = int(self.thinking.get("budget_tokens") or reasoning_tokens or
                                       DEFAULT_REASONING_TOKENS)
        elif thinking_budget is not None or thinking == "enabled":
            budget = max(MIN_THINKING, int(thinking_budget or DEFAULT_REASONING_TOKENS))
            self.thinking = {"type": "enabled", "budget_tokens": budget}
            self.thinking_tokens = budget
        elif thinking == "adaptive":
            self.thinking = {"type": "adaptive"}
            self.thinking_tokens = int(reasoning_tokens or DEFAULT_REASONING_TOKENS)
        elif reasoning_tokens:
            self.thinking_tokens = int(reasoning_tokens)
        key = api_key if api_key is not None else require_key(provider, key_env)
        self._client = anthropic.Anthropic(api_key=key, base_url=base_url, timeout=timeout, max_retries=0,
                                           http_client=http_client)
        self._priced = base_url is None and provider == "anthropic"
        known = inspect.signature(self._client.messages.create).parameters
        extra_body = {k: self.extra.pop(k) for k in list(self.extra) if k not in known}
        if extra_body:
            self.extra["extra_body"] = extra_body
        # Recent SDK releases dropped sampling parameters from messages.create; send one only if accepted,
        # and never with thinking (the API refuses a temperature other than 1 then).
        params = inspect.signature(self._client.messages.create).parameters
        self._takes_temperature = "temperature" in params and self.thinking is None

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """One Messages API call, retried on rate limits, overload and transient failures."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        body: dict[str, Any] = {
            "model": self.model, "max_tokens": max_tokens + self.thinking_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in messages if m.role != "system"],
            **self.extra,
        }
        if self.thinking is not None:
            body["thinking"] = self.thinking
        if self._takes_temperature:
            body["temperature"] = temperature
        if system:
            body["system"] = system
        if stop:
            body["stop_sequences"] = list(stop)
        start = time.perf_counter()
        resp = with_retries(lambda: self._client.messages.create(**body, timeout=request_timeout(self.timeout)),
                            provider=self.provider, model=self.model, classify=classify, retries=self.retries)
        seconds = time.perf_counter() - start
        blocks = list(resp.content or [])
        text = "".join(getattr(b, "text", "") or "" for b in blocks if getattr(b, "type", "text") == "text")
        tin = int(getattr(resp.usage, "input_tokens", 0) or 0)
        tout = int(getattr(resp.usage, "output_tokens", 0) or 0)
        thought = sum(len(str(getattr(b, "thinking", "") or "")) // 4 for b in blocks
                      if getattr(b, "type", "") == "thinking")  # the API bills them in output_tokens
        cost = price_of(f"anthropic:{self.model}", tin, tout) if self._priced else None
        reason = getattr(resp, "stop_reason", None)
        return Completion(text, tin, tout, seconds, cost, self.id,
                          finish=_FINISH.get(str(reason), str(reason)) if reason else None,
                          reasoning_tokens=min(thought, tout))


def register(registry: Any) -> None:
    """Entry point: make ``anthropic:MODEL`` available."""
    registry.register("anthropic", AnthropicModel)
