"""``openai:MODEL`` through the official ``openai`` SDK; also any OpenAI-compatible server via ``base_url``.

Options: ``base_url``, ``api_key``, ``key_env`` (variable holding the key), ``provider`` (name used for
keys and errors, set by aliases), ``timeout`` (seconds), ``retries``, ``http_client`` (an SDK-compatible
HTTP client, e.g. one with a mock transport in tests), ``max_tokens_param`` (``max_completion_tokens``
for models that reject ``max_tokens``); other options are sent as request fields. Servers on loopback need no real key.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from ..errors import MissingBackend
from ..keys import get_key, require_key
from .base import Completion, Failure, Message, price_of, server_wait, status_retryable, with_retries

LOCAL_PLACEHOLDER_KEY = "sk-no-key-needed"


def is_loopback(url: str | None) -> bool:
    """True for ``http://127.0.0.1:...``, ``localhost`` and ``[::1]`` URLs."""
    if not url:
        return False
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _sdk() -> Any:
    try:
        import openai
    except ImportError:
        raise MissingBackend("the openai backend needs the openai package", extra="openai",
                             provider="openai") from None
    return openai


def classify(exc: BaseException) -> Failure | None:
    """Read an ``openai`` SDK exception as a :class:`Failure` (None if it is not one)."""
    openai = _sdk()
    if isinstance(exc, openai.APIStatusError):
        return Failure(exc.status_code, status_retryable(exc.status_code), str(exc.message)[:300],
                       server_wait(exc))
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return Failure(None, True, f"{type(exc).__name__}: {exc}"[:300])
    return None


class OpenAIModel:
    """A chat model behind the OpenAI API (or a compatible server)."""

    def __init__(self, model: str, *, provider: str = "openai", base_url: str | None = None,
                 api_key: str | None = None, key_env: str | None = None, timeout: float = 60.0,
                 retries: int = 4, http_client: Any = None, max_tokens_param: str = "max_tokens",
                 **extra: Any) -> None:
        openai = _sdk()
        self.max_tokens_param = max_tokens_param
        self.model = model
        self.provider = provider
        self.id = f"{provider}:{model}"
        self.base_url = base_url
        self.retries = retries
        self.extra = extra  # passed through to chat.completions.create
        if api_key is None:
            api_key = get_key(provider, key_env) if is_loopback(base_url) else require_key(provider, key_env)
        # The retry loop is ours (base.with_retries): the SDK must not retry on its own as well.
        self._client = openai.OpenAI(api_key=api_key or LOCAL_PLACEHOLDER_KEY, base_url=base_url,
                                     timeout=timeout, max_retries=0, http_client=http_client)
        # Published prices apply to OpenAI itself, not to a self-hosted or third-party server.
        self._priced = base_url is None and provider == "openai"

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """One chat completion, retried on rate limits and transient failures."""
        body: dict[str, Any] = {
            "model": self.model, self.max_tokens_param: max_tokens, "temperature": temperature,
            "messages": [{"role": m.role, "content": m.content} for m in messages], **self.extra,
        }
        if stop:
            body["stop"] = list(stop)
        start = time.perf_counter()
        resp = with_retries(lambda: self._client.chat.completions.create(**body), provider=self.provider,
                            model=self.model, classify=classify, retries=self.retries)
        seconds = time.perf_counter() - start
        text = (resp.choices[0].message.content or "") if resp.choices else ""
        usage = getattr(resp, "usage", None)
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = price_of(f"openai:{self.model}", tin, tout) if self._priced else None
        return Completion(text, tin, tout, seconds, cost, self.id)


def register(registry: Any) -> None:
    """Entry point: make ``openai:MODEL`` available."""
    registry.register("openai", OpenAIModel)
