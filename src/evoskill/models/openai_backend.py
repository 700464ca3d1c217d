"""``openai:MODEL`` through the official ``openai`` SDK; also any OpenAI-compatible server via ``base_url``.

Options: ``base_url``, ``api_key``, ``key_env`` (variable holding the key), ``provider`` (name used for
keys and errors, set by aliases), ``timeout`` (seconds per request, cut to the task's budget), ``retries``,
``http_client`` (an SDK-compatible HTTP client, e.g. one with a mock transport in tests), and per model:

- ``reasoning`` (default: on for OpenAI's ``o1``/``o3``/``o4``/``gpt-5`` families): no ``temperature``,
  ``max_completion_tokens``, and ``reasoning_tokens`` (default 8000) added to the reply budget;
- ``reasoning_tokens``: the thinking allowance added to every reply budget (also for open models that
  reason in ``<think>`` blocks, which are stripped from the text);
- ``reply_tokens``: the visible reply budget the proposer asks for (default: the proposer's);
- ``max_tokens_param`` (``max_tokens`` or ``max_completion_tokens``), ``send_temperature`` (bool),
  ``send_seed`` (bool, default true), ``price`` (``[USD in, USD out]`` per million tokens, for servers
  whose prices evoskill does not know).

Other options (``reasoning_effort``, ``top_p``, ...) are sent as request fields. A 400 naming
``max_tokens`` or ``temperature`` as unsupported is fixed once and remembered; any other rejected parameter
is a :class:`~evoskill.models.base.ConfigurationError`. Servers on loopback need no real key.
"""

from __future__ import annotations

import inspect
import ipaddress
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

from ..errors import MissingBackend
from ..keys import get_key, require_key
from .base import (
    Completion,
    ConfigurationError,
    Failure,
    Message,
    price_of,
    request_timeout,
    scoped_seed,
    server_wait,
    status_retryable,
    strip_thinking,
    with_retries,
)

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


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", exc))


def classify(exc: BaseException) -> Failure | None:
    """Read an ``openai`` SDK exception as a :class:`Failure` (None if it is not one)."""
    openai = _sdk()
    if isinstance(exc, openai.APIStatusError):
        param = getattr(exc, "param", None)
        body = getattr(exc, "body", None)
        if param is None and isinstance(body, dict) and isinstance(body.get("error"), dict):
            param = body["error"].get("param")
        return Failure(exc.status_code, status_retryable(exc.status_code), _detail(exc)[:300],
                       server_wait(exc), param=str(param) if param else None)
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return Failure(None, True, f"{type(exc).__name__}: {exc}"[:300])
    return None


#: OpenAI's reasoning families: they refuse ``temperature`` and ``max_tokens`` and spend hidden tokens thinking
REASONING = re.compile(r"^(o\d|gpt-5)(?!.*chat)")
DEFAULT_REASONING_TOKENS = 8000


class OpenAIModel:
    """A chat model behind the OpenAI API (or a compatible server)."""

    def __init__(self, model: str, *, provider: str = "openai", base_url: str | None = None,
                 api_key: str | None = None, key_env: str | None = None, timeout: float = 60.0,
                 retries: int = 4, http_client: Any = None, max_tokens_param: str | None = None,
                 reasoning: bool | None = None, reasoning_tokens: int | None = None,
                 reply_tokens: int | None = None, send_temperature: bool | None = None, send_seed: bool = True,
                 price: Sequence[float] | None = None, **extra: Any) -> None:
        openai = _sdk()
        official = base_url is None and provider == "openai"
        self.reasoning = bool(REASONING.match(model)) and official if reasoning is None else bool(reasoning)
        self.max_tokens_param = max_tokens_param or ("max_completion_tokens" if self.reasoning else "max_tokens")
        self.send_temperature = (not self.reasoning) if send_temperature is None else bool(send_temperature)
        self.send_seed = send_seed
        self.reasoning_tokens = int(reasoning_tokens if reasoning_tokens is not None else
                                    (DEFAULT_REASONING_TOKENS if self.reasoning else 0))
        self.reply_tokens = reply_tokens
        self.model = model
        self.provider = provider
        self.id = f"{provider}:{model}"
        self.base_url = base_url
        self.timeout = timeout
        self.retries = retries
        if api_key is None:
            api_key = get_key(provider, key_env) if is_loopback(base_url) else require_key(provider, key_env)
        # The retry loop is ours (base.with_retries): the SDK must not retry on its own as well.
        self._client = openai.OpenAI(api_key=api_key or LOCAL_PLACEHOLDER_KEY, base_url=base_url,
                                     timeout=timeout, max_retries=0, http_client=http_client)
        # Fields the SDK knows go as arguments; others (a server's own, e.g. top_k) in the request body.
        known = inspect.signature(self._client.chat.completions.create).parameters
        self.extra = {k: v for k, v in extra.items() if k in known}
        self.extra_body = {k: v for k, v in extra.items() if k not in known}
        # Published prices apply to OpenAI itself, not to a self-hosted or third-party server.
        self._prices = ({self.id: (float(price[0]), float(price[1]))} if price is not None else
                        None if official else {})

    def _body(self, messages: Sequence[Message], max_tokens: int, temperature: float,
              stop: Sequence[str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model, self.max_tokens_param: max_tokens + self.reasoning_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in messages], **self.extra,
        }
        if self.send_temperature:
            body["temperature"] = temperature
        seed = scoped_seed()
        if self.send_seed and seed is not None:
            body["seed"] = seed
        if stop:
            body["stop"] = list(stop)
        if self.extra_body:
            body["extra_body"] = dict(self.extra_body)
        return body

    def _adapt(self, exc: ConfigurationError) -> bool:
        """Learn from a 400 that names ``max_tokens`` or ``temperature`` as unsupported; True if fixed."""
        if exc.param == "max_tokens" and self.max_tokens_param == "max_tokens":
            self.max_tokens_param = "max_completion_tokens"
            return True
        if exc.param == "max_completion_tokens" and self.max_tokens_param == "max_completion_tokens":
            self.max_tokens_param = "max_tokens"
            return True
        if exc.param == "temperature" and self.send_temperature:
            self.send_temperature = False
            return True
        if exc.param == "seed" and self.send_seed:
            self.send_seed = False
            return True
        return False

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """One chat completion, retried on rate limits and transient failures."""
        start = time.perf_counter()
        for _ in range(4):
            body = self._body(messages, max_tokens, temperature, stop)
            try:
                resp = with_retries(
                    lambda body=body: self._client.chat.completions.create(  # type: ignore[misc]
                        **body, timeout=request_timeout(self.timeout)),
                    provider=self.provider, model=self.model, classify=classify, retries=self.retries)
                break
            except ConfigurationError as exc:
                if not self._adapt(exc):
                    raise
        else:  # pragma: no cover - four different parameter fixes in a row
            raise ConfigurationError(f"{self.provider} kept rejecting parameters for {self.model!r}",
                                     provider=self.provider)
        seconds = time.perf_counter() - start
        choice = resp.choices[0] if resp.choices else None
        text = (choice.message.content or "") if choice is not None else ""
        text, _ = strip_thinking(text)
        finish = getattr(choice, "finish_reason", None) if choice is not None else None
        usage = getattr(resp, "usage", None)
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "completion_tokens_details", None)
        thought = int(getattr(details, "reasoning_tokens", 0) or 0)
        cost = price_of(self.id if self._prices else f"openai:{self.model}", tin, tout, self._prices)
        return Completion(text, tin, tout, seconds, cost, self.id, finish=str(finish) if finish else None,
                          reasoning_tokens=thought)


def register(registry: Any) -> None:
    """Entry point: make ``openai:MODEL`` available."""
    registry.register("openai", OpenAIModel)
