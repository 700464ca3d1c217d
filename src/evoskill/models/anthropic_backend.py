"""``anthropic:MODEL`` through the official ``anthropic`` SDK.

Options: ``api_key``, ``key_env``, ``base_url``, ``provider``, ``timeout``, ``retries``, ``http_client``.
System messages are joined into Anthropic's separate ``system`` field.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Sequence
from typing import Any

from ..errors import MissingBackend
from ..keys import require_key
from .base import Completion, Failure, Message, price_of, server_wait, status_retryable, with_retries


def _sdk() -> Any:
    try:
        import anthropic
    except ImportError:
        raise MissingBackend("the anthropic backend needs the anthropic package", extra="anthropic",
                             provider="anthropic") from None
    return anthropic


def classify(exc: BaseException) -> Failure | None:
    """Read an ``anthropic`` SDK exception as a :class:`Failure` (None if it is not one)."""
    anthropic = _sdk()
    if isinstance(exc, anthropic.APIStatusError):
        # 529 "overloaded" is Anthropic's transient status; status_retryable covers all 5xx.
        return Failure(exc.status_code, status_retryable(exc.status_code), str(exc.message)[:300],
                       server_wait(exc))
    if isinstance(exc, anthropic.APIConnectionError):
        return Failure(None, True, f"{type(exc).__name__}: {exc}"[:300])
    return None


class AnthropicModel:
    """A Claude model behind the Anthropic Messages API."""

    def __init__(self, model: str, *, provider: str = "anthropic", api_key: str | None = None,
                 key_env: str | None = None, base_url: str | None = None, timeout: float = 60.0,
                 retries: int = 4, http_client: Any = None, **extra: Any) -> None:
        anthropic = _sdk()
        self.model = model
        self.provider = provider
        self.id = f"{provider}:{model}"
        self.retries = retries
        self.extra = extra
        key = api_key if api_key is not None else require_key(provider, key_env)
        self._client = anthropic.Anthropic(api_key=key, base_url=base_url, timeout=timeout, max_retries=0,
                                           http_client=http_client)
        self._priced = base_url is None and provider == "anthropic"
        # Recent SDK releases dropped sampling parameters from messages.create; send one only if accepted.
        params = inspect.signature(self._client.messages.create).parameters
        self._takes_temperature = "temperature" in params

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """One Messages API call, retried on rate limits, overload and transient failures."""
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        body: dict[str, Any] = {
            "model": self.model, "max_tokens": max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in messages if m.role != "system"],
            **self.extra,
        }
        if self._takes_temperature:
            body["temperature"] = temperature
        if system:
            body["system"] = system
        if stop:
            body["stop_sequences"] = list(stop)
        start = time.perf_counter()
        resp = with_retries(lambda: self._client.messages.create(**body), provider=self.provider,
                            model=self.model, classify=classify, retries=self.retries)
        seconds = time.perf_counter() - start
        text = "".join(getattr(b, "text", "") for b in (resp.content or []))
        tin = int(getattr(resp.usage, "input_tokens", 0) or 0)
        tout = int(getattr(resp.usage, "output_tokens", 0) or 0)
        cost = price_of(f"anthropic:{self.model}", tin, tout) if self._priced else None
        return Completion(text, tin, tout, seconds, cost, self.id)


def register(registry: Any) -> None:
    """Entry point: make ``anthropic:MODEL`` available."""
    registry.register("anthropic", AnthropicModel)
