"""Model contract, registry, key store, retries (through the real SDK code paths) and ScriptedModel."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import time
from typing import Any

import httpx2
import pytest

from evoskill import keys
from evoskill.errors import MissingBackend, MissingKey, ModelError, UserError
from evoskill.models import base
from evoskill.models.base import (
    Completion,
    ConfigurationError,
    CostLimitReached,
    Failure,
    Message,
    Metered,
    call_scope,
    price_of,
    strip_thinking,
    with_retries,
)
from evoskill.models.registry import REGISTRY, Registry, get_model, load_aliases
from evoskill.testing import RemoteNetworkBlocked, ScriptedModel, ScriptExhausted, network_guard


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """No remote network, no real keys, a private config folder, no waiting between retries."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "EVOSKILL_MODELS", "MYHOST_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    sleeps: list[float] = []
    monkeypatch.setattr(base, "_sleep", sleeps.append)
    with network_guard():
        yield sleeps


# ---------------------------------------------------------------- contract helpers


def test_price_table_matches_prefixes_and_unknown_is_none() -> None:
    assert price_of("openai:gpt-4.1-mini", 1_000_000, 1_000_000) == pytest.approx(2.0)
    assert price_of("anthropic:claude-sonnet-4-20250514", 1_000_000, 0) == pytest.approx(3.0)
    assert price_of("openai:gpt-4.1-mini-2025-04-14", 0, 1_000_000) == pytest.approx(1.6)
    assert price_of("openai:some-unknown-model", 10, 10) is None
    # current families, and newer Opus models at their own (lower) rate, not Opus 4's
    assert price_of("anthropic:claude-opus-4-5-20251101", 1_000_000, 1_000_000) == pytest.approx(30.0)
    assert price_of("anthropic:claude-opus-4-6", 1_000_000, 1_000_000) == pytest.approx(30.0)
    assert price_of("anthropic:claude-opus-4-1-20250805", 1_000_000, 1_000_000) == pytest.approx(90.0)
    assert price_of("anthropic:claude-sonnet-4-5-20250929", 0, 1_000_000) == pytest.approx(15.0)
    assert price_of("openai:gpt-5-mini-2025-08-07", 1_000_000, 1_000_000) == pytest.approx(2.25)
    assert price_of("openai:o4-mini", 1_000_000, 0) == pytest.approx(1.10)
    assert price_of("openai:gpt-5.1-codex", 0, 1_000_000) == pytest.approx(10.0)


def test_retry_loop_backs_off_then_succeeds(_offline_and_isolated: list[float]) -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("429")
        return "ok"

    out = with_retries(flaky, provider="p", model="m", base_delay=1.0, max_delay=1.5,
                       classify=lambda e: Failure(429, True, "slow down"))
    assert out == "ok" and len(calls) == 3
    sleeps = _offline_and_isolated
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 0.75 <= sleeps[1] <= 1.5  # jittered, capped


def test_retry_loop_gives_up_and_reraises_unknown_errors() -> None:
    def always() -> str:
        raise RuntimeError("boom")

    with pytest.raises(ModelError, match="gave up after 3 tries") as info:
        with_retries(always, provider="p", model="m", retries=2, classify=lambda e: Failure(503, True, "down"))
    assert info.value.status == 503
    with pytest.raises(RuntimeError):
        with_retries(always, provider="p", model="m", classify=lambda e: None)


# ---------------------------------------------------------------- registry


class _FakeModel:
    def __init__(self, name: str, **options: Any) -> None:
        self.id = f"fake:{name}"
        self.options = options

    def complete(self, messages: Any, *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Any = None) -> Completion:
        return Completion("hi", 1, 1, 0.0, None, self.id)


class _FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint: ``name`` and ``load()``."""

    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self._target = target

    def load(self) -> Any:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_builtin_backends_are_registered_through_entry_points() -> None:
    assert {"openai", "anthropic", "local"} <= set(REGISTRY.providers())


def test_third_party_backend_via_entry_point_and_direct_registration() -> None:
    reg = Registry()
    reg.load_entry_points([
        _FakeEntryPoint("acme", lambda r: r.register("acme", _FakeModel)),
        _FakeEntryPoint("broken", ImportError("no module named acme_broken")),
    ])
    model = reg.get("acme:rocket-1", temperature_hint=1)
    assert model.id == "fake:rocket-1" and model.options == {"temperature_hint": 1}  # type: ignore[attr-defined]
    assert "broken" in reg.load_errors
    reg.register("direct", lambda name, **o: _FakeModel("direct-" + name))
    assert reg.get("direct:x").id == "fake:direct-x"
    with pytest.raises(UserError, match="unknown model provider 'nope'"):
        reg.get("nope:x")
    with pytest.raises(UserError, match="provider:model"):
        reg.get("no-colon")


def test_alias_from_config_file_routes_to_api_backend(tmp_path: Any) -> None:
    cfg = keys.config_dir()
    cfg.mkdir(parents=True)
    (cfg / "models.json").write_text(json.dumps({"providers": {"myhost": {
        "api": "openai", "base_url": "http://127.0.0.1:9/v1", "key_env": "MYHOST_API_KEY"}}}))
    assert load_aliases()["myhost"]["api"] == "openai"
    reg = Registry()
    reg.register("openai", _FakeModel)
    model = reg.get("myhost:qwen", api_key="k")
    assert model.options == {"base_url": "http://127.0.0.1:9/v1", "key_env": "MYHOST_API_KEY",  # type: ignore[attr-defined]
                             "api_key": "k", "provider": "myhost"}


def test_toml_config_via_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "models.toml"
    path.write_text('[providers.ollama]\napi = "openai"\nbase_url = "http://localhost:11434/v1"\n')
    monkeypatch.setenv("EVOSKILL_MODELS", str(path))
    assert load_aliases() == {"ollama": {"api": "openai", "base_url": "http://localhost:11434/v1"}}


# ---------------------------------------------------------------- keys


def test_key_store_roundtrip_private_and_atomic() -> None:
    assert keys.list_providers() == [] and keys.get_key("openai") is None
    path = keys.set_key("openai", "  sk-test  ")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.get_key("openai") == "sk-test"
    keys.set_key("anthropic", "ak")
    assert keys.list_providers() == ["anthropic", "openai"]
    assert sorted(os.listdir(path.parent)) == ["keys.json"]  # no temp files left behind
    assert keys.remove_key("openai") is True and keys.remove_key("openai") is False
    assert keys.list_providers() == ["anthropic"]
    with pytest.raises(UserError):
        keys.set_key("bad name!", "x")


def test_environment_wins_over_store(monkeypatch: pytest.MonkeyPatch) -> None:
    keys.set_key("openai", "stored")
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    assert keys.get_key("openai") == "from-env"


def test_missing_key_has_one_line_fix() -> None:
    with pytest.raises(MissingKey) as info:
        get_model("openai:gpt-4.1-mini")
    assert str(info.value) == "No key found for openai: set OPENAI_API_KEY or run `evoskill keys set openai`"
    with pytest.raises(MissingKey, match="ANTHROPIC_API_KEY"):
        get_model("anthropic:claude-haiku-4-5")


def test_missing_sdk_is_missing_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    monkeypatch.setitem(sys.modules, "anthropic", None)
    with pytest.raises(MissingBackend) as info:
        get_model("openai:gpt-4.1-mini", api_key="sk")
    assert info.value.extra == "openai" and "pip install 'evoskill[openai]'" in str(info.value)
    with pytest.raises(MissingBackend, match=r"evoskill\[anthropic\]"):
        get_model("anthropic:claude-haiku-4-5", api_key="sk")


# ---------------------------------------------------------------- real SDKs over a mock transport


def _chat_reply(text: str = "hello") -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "gpt-4.1-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}}


def _transport(statuses: list[int], ok_body: dict[str, Any], seen: list[Any],
               headers: list[dict[str, str]] | None = None) -> httpx2.Client:
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        status = statuses.pop(0) if statuses else 200
        if status == 200:
            return httpx2.Response(200, json=ok_body)
        extra = headers.pop(0) if headers else {}
        return httpx2.Response(status, json={"error": {"message": f"status {status}", "type": "x"}}, headers=extra)

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def test_openai_retries_429_then_succeeds(_offline_and_isolated: list[float]) -> None:
    seen: list[Any] = []
    model = get_model("openai:gpt-4.1-mini", api_key="sk-test", http_client=_transport([429, 503], _chat_reply(), seen))
    out = model.complete([Message("system", "be brief"), Message("user", "hi")], max_tokens=7, stop=["\n"])
    assert out.text == "hello" and (out.tokens_in, out.tokens_out) == (1000, 500)
    assert out.cost_usd == pytest.approx(0.0004 + 0.0008) and out.model == "openai:gpt-4.1-mini"
    assert len(seen) == 3 and len(_offline_and_isolated) == 2
    body = json.loads(seen[-1].content)
    assert body["max_tokens"] == 7 and body["stop"] == ["\n"] and body["messages"][0]["role"] == "system"
    assert seen[-1].headers["authorization"] == "Bearer sk-test"


def test_retry_after_from_the_server_is_honoured(_offline_and_isolated: list[float]) -> None:
    """A 429 that says how long to wait is waited out exactly (capped), not with the generic backoff."""
    seen: list[Any] = []
    waits = [{"retry-after": "3"}, {"retry-after-ms": "1500"}, {"retry-after": "86400"}]
    model = get_model("openai:gpt-4.1-mini", api_key="k",
                      http_client=_transport([429, 429, 503], _chat_reply(), seen, waits))
    assert model.complete([Message("user", "hi")]).text == "hello"
    assert _offline_and_isolated == [3.0, 1.5, base.MAX_RETRY_AFTER] and len(seen) == 4
    seen.clear()
    model = get_model("anthropic:claude-haiku-4-5", api_key="ak", http_client=_transport(
        [429], {"id": "m1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "yo"}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1}}, seen, [{"retry-after": "2"}]))
    assert model.complete([Message("user", "hi")]).text == "yo" and _offline_and_isolated[-1] == 2.0


def test_retry_after_header_forms() -> None:
    assert base.retry_after({"retry-after": "7"}) == 7.0
    assert base.retry_after({"retry-after-ms": "250"}) == 0.25
    assert base.retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert base.retry_after({"retry-after": "soon"}) is None and base.retry_after({}) is None
    assert base.retry_after(None) is None


def test_openai_401_and_404_fail_clearly_without_retry() -> None:
    seen: list[Any] = []
    model = get_model("openai:gpt-4.1-mini", api_key="wrong", http_client=_transport([401], _chat_reply(), seen))
    with pytest.raises(ConfigurationError, match="rejected the API key") as info:
        model.complete([Message("user", "hi")])
    assert info.value.status == 401 and info.value.provider == "openai" and len(seen) == 1
    model = get_model("openai:gpt-9", api_key="k", http_client=_transport([404], _chat_reply(), seen))
    with pytest.raises(ConfigurationError, match="no model 'gpt-9'") as info:
        model.complete([Message("user", "hi")])
    assert "\n" not in str(info.value) and isinstance(info.value, ModelError)


def test_openai_compatible_server_on_loopback_needs_no_key_and_has_no_price() -> None:
    seen: list[Any] = []
    model = get_model("openai:qwen", base_url="http://127.0.0.1:9/v1", http_client=_transport([], _chat_reply(), seen))
    out = model.complete([Message("user", "hi")])
    assert out.cost_usd is None and str(seen[0].url).startswith("http://127.0.0.1:9/v1/chat/completions")


def test_openai_connection_errors_are_retried_then_reported() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    model = get_model("openai:gpt-4.1-mini", api_key="k", retries=2, http_client=client)
    with pytest.raises(ModelError, match="gave up after 3 tries"):
        model.complete([Message("user", "hi")])


def test_anthropic_overload_retried_and_system_split() -> None:
    seen: list[Any] = []
    body = {"id": "m1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "yo"}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 4}}
    model = get_model("anthropic:claude-haiku-4-5", api_key="ak", http_client=_transport([529, 429], body, seen))
    out = model.complete([Message("system", "be brief"), Message("user", "hi")], stop=["END"])
    assert out.text == "yo" and (out.tokens_in, out.tokens_out) == (10, 4) and len(seen) == 3
    sent = json.loads(seen[-1].content)
    assert sent["system"] == "be brief" and sent["messages"] == [{"role": "user", "content": "hi"}]
    assert sent["stop_sequences"] == ["END"] and out.cost_usd == pytest.approx(10e-6 + 20e-6)
    model = get_model("anthropic:claude-haiku-4-5", api_key="bad", http_client=_transport([401], body, seen))
    with pytest.raises(ModelError, match="rejected the API key"):
        model.complete([Message("user", "hi")])


# ---------------------------------------------------------------- reasoning models (recorded-style responses)

# What OpenAI's reasoning models return: the hidden reasoning is billed in completion_tokens and counted in
# completion_tokens_details; when it eats the whole budget the content is empty and finish_reason "length".
O4_MINI_OK = {
    "id": "chatcmpl-BmN2", "object": "chat.completion", "created": 1750000000, "model": "o4-mini-2025-04-16",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "refusal": None, "annotations": [],
        "content": "```python\ndef shout(text: str) -> str:\n    return text.upper()\n```"}}],
    "usage": {"prompt_tokens": 812, "completion_tokens": 1530, "total_tokens": 2342,
              "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 1472, "audio_tokens": 0,
                                            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
    "service_tier": "default", "system_fingerprint": None}
O4_MINI_CUT = {**O4_MINI_OK, "choices": [{"index": 0, "finish_reason": "length",
                                          "message": {"role": "assistant", "content": "", "refusal": None}}],
               "usage": {"prompt_tokens": 812, "completion_tokens": 9200, "total_tokens": 10012,
                         "completion_tokens_details": {"reasoning_tokens": 9200}}}
UNSUPPORTED_MAX_TOKENS = {"error": {
    "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
               "instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}
UNSUPPORTED_TEMPERATURE = {"error": {
    "message": "Unsupported value: 'temperature' does not support 0.0 with this model. Only the default (1) value "
               "is supported.", "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"}}
UNKNOWN_ARGUMENT = {"error": {"message": "Unrecognized request argument supplied: top_k",
                              "type": "invalid_request_error", "param": None, "code": None}}
CONTEXT_TOO_LONG = {"error": {
    "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 "
               "tokens. Please reduce the length of the messages.", "type": "invalid_request_error",
    "param": "messages", "code": "context_length_exceeded"}}
CLAUDE_THINKING = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "thinking", "thinking": "The outputs are the inputs in capitals, so upper() is the rule.",
                 "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
                {"type": "text", "text": "```python\ndef shout(text: str) -> str:\n    return text.upper()\n```"}],
    "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 640, "output_tokens": 412, "cache_creation_input_tokens": 0,
              "cache_read_input_tokens": 0, "service_tier": "standard"}}
CLAUDE_CUT = {**CLAUDE_THINKING, "content": [{"type": "thinking", "thinking": "Let me think about every case...",
                                               "signature": "EqQBCgIYAhIM"}],
              "stop_reason": "max_tokens", "usage": {"input_tokens": 640, "output_tokens": 3248}}
CLAUDE_BAD_BUDGET = {"type": "error", "error": {
    "type": "invalid_request_error", "message": "thinking.budget_tokens: Input should be greater than or equal to 1024"}}
CLAUDE_NO_MODEL = {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-sonnet-9"}}


def _replies(bodies: list[tuple[int, dict[str, Any]]], seen: list[Any]) -> httpx2.Client:
    """A mock transport answering each request with the next (status, body)."""
    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        status, body = bodies.pop(0)
        return httpx2.Response(status, json=body)

    return httpx2.Client(transport=httpx2.MockTransport(handler))


def test_openai_reasoning_model_parameters_and_reasoning_tokens() -> None:
    seen: list[Any] = []
    model = get_model("openai:o4-mini", api_key="k", http_client=_replies([(200, O4_MINI_OK)], seen))
    with call_scope(seed=7):
        out = model.complete([Message("system", "s"), Message("user", "hi")], max_tokens=1200, temperature=0.0)
    body = json.loads(seen[0].content)
    assert "temperature" not in body and "max_tokens" not in body  # both refused by reasoning models
    assert body["max_completion_tokens"] == 1200 + 8000 and body["seed"] == 7  # reply + thinking allowance
    assert out.text.startswith("```python") and out.finish == "stop" and not out.truncated
    assert (out.tokens_out, out.reasoning_tokens) == (1530, 1472)
    assert out.cost_usd == pytest.approx((812 * 1.10 + 1530 * 4.40) / 1e6)
    model = get_model("openai:gpt-5-mini", api_key="k", reasoning_tokens=2000, reply_tokens=900,
                      reasoning_effort="low", http_client=_replies([(200, O4_MINI_OK)], seen))
    model.complete([Message("user", "hi")], max_tokens=900)
    body = json.loads(seen[-1].content)
    assert body["max_completion_tokens"] == 2900 and body["reasoning_effort"] == "low" and "temperature" not in body
    assert model.reply_tokens == 900  # type: ignore[attr-defined]
    chat = get_model("openai:gpt-4.1-mini", api_key="k", http_client=_replies([(200, _chat_reply())], seen))
    chat.complete([Message("user", "hi")], max_tokens=50, temperature=0.3)
    body = json.loads(seen[-1].content)
    assert body["max_tokens"] == 50 and body["temperature"] == 0.3


def test_openai_truncated_reasoning_is_reported_as_length() -> None:
    seen: list[Any] = []
    model = get_model("openai:o4-mini", api_key="k", http_client=_replies([(200, O4_MINI_CUT)], seen))
    out = model.complete([Message("user", "hi")], max_tokens=1200)
    assert out.truncated and out.text == "" and out.reasoning_tokens == 9200


def test_openai_rejected_max_tokens_and_temperature_are_fixed_once_and_remembered() -> None:
    """A model evoskill does not know as a reasoning model: the 400s that name the parameter are learned from."""
    seen: list[Any] = []
    client = _replies([(400, UNSUPPORTED_MAX_TOKENS), (400, UNSUPPORTED_TEMPERATURE), (200, O4_MINI_OK),
                       (200, O4_MINI_OK)], seen)
    model = get_model("openai:my-new-reasoner", api_key="k", http_client=client)
    out = model.complete([Message("user", "hi")], max_tokens=100, temperature=0.0)
    assert out.text and len(seen) == 3
    first, second, third = (json.loads(r.content) for r in seen)
    assert "max_tokens" in first and "max_completion_tokens" in second and "temperature" in second
    assert "temperature" not in third and third["max_completion_tokens"] == 100
    model.complete([Message("user", "again")], max_tokens=100)
    assert len(seen) == 4 and "temperature" not in json.loads(seen[3].content)


def test_rejected_parameters_and_keys_are_configuration_errors_but_long_prompts_are_not() -> None:
    seen: list[Any] = []
    model = get_model("openai:gpt-4.1-mini", api_key="k", top_k=5, http_client=_replies([(400, UNKNOWN_ARGUMENT)], seen))
    with pytest.raises(ConfigurationError, match="rejected a request parameter") as info:
        model.complete([Message("user", "hi")])
    assert len(seen) == 1 and info.value.status == 400 and "\n" not in str(info.value)
    model = get_model("openai:gpt-4.1-mini", api_key="k", http_client=_replies([(400, CONTEXT_TOO_LONG)], seen))
    with pytest.raises(ModelError) as err:
        model.complete([Message("user", "hi")])
    assert not isinstance(err.value, ConfigurationError)  # another task's prompt may fit


def test_anthropic_thinking_budget_and_text_only_reply() -> None:
    seen: list[Any] = []
    model = get_model("anthropic:claude-sonnet-4-6", api_key="ak", thinking_budget=2048,
                      http_client=_replies([(200, CLAUDE_THINKING), (200, CLAUDE_CUT)], seen))
    out = model.complete([Message("system", "be brief"), Message("user", "hi")], max_tokens=1200)
    sent = json.loads(seen[0].content)
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048} and sent["max_tokens"] == 1200 + 2048
    assert "temperature" not in sent and sent["system"] == "be brief"
    assert out.text.startswith("```python") and "upper() is the rule" not in out.text and out.finish == "stop"
    assert out.cost_usd == pytest.approx((640 * 3 + 412 * 15) / 1e6) and 0 < out.reasoning_tokens <= 412
    cut = model.complete([Message("user", "hi")], max_tokens=1200)
    assert cut.truncated and cut.text == ""
    adaptive = get_model("anthropic:claude-opus-4-6", api_key="ak", thinking="adaptive", effort="low",
                         http_client=_replies([(200, CLAUDE_THINKING)], seen))
    adaptive.complete([Message("user", "hi")], max_tokens=1000)
    sent = json.loads(seen[-1].content)
    assert sent["thinking"] == {"type": "adaptive"} and sent["max_tokens"] == 9000
    assert sent["output_config"] == {"effort": "low"}


def test_anthropic_configuration_errors() -> None:
    seen: list[Any] = []
    model = get_model("anthropic:claude-sonnet-4-6", api_key="ak", thinking={"type": "enabled", "budget_tokens": 10},
                      http_client=_replies([(400, CLAUDE_BAD_BUDGET)], seen))
    with pytest.raises(ConfigurationError, match="thinking.budget_tokens"):
        model.complete([Message("user", "hi")])
    model = get_model("anthropic:claude-sonnet-9", api_key="ak", http_client=_replies([(404, CLAUDE_NO_MODEL)], seen))
    with pytest.raises(ConfigurationError, match="no model 'claude-sonnet-9'"):
        model.complete([Message("user", "hi")])
    assert len(seen) == 2


def test_think_blocks_of_open_models_are_stripped_and_budgeted() -> None:
    """A Qwen3 / DeepSeek-R1 style server on loopback: reasoning inside the content, in <think> tags."""
    seen: list[Any] = []
    reply = _chat_reply("<think>\nThe rule is upper case.\n</think>\n\n```python\ndef f(t):\n    return t.upper()\n```")
    model = get_model("openai:qwen3-coder", base_url="http://127.0.0.1:9/v1", reasoning_tokens=3000,
                      http_client=_replies([(200, reply)], seen))
    out = model.complete([Message("user", "hi")], max_tokens=500)
    assert out.text.startswith("```python") and "<think>" not in out.text and out.cost_usd is None
    assert json.loads(seen[0].content)["max_tokens"] == 3500
    assert strip_thinking("thinking aloud</think>answer") == ("answer", True)
    assert strip_thinking("<think>never finished") == ("", True)
    assert strip_thinking("plain") == ("plain", False)
    priced = get_model("openai:qwen3-coder", base_url="http://127.0.0.1:9/v1", price=[0.5, 1.0],
                       http_client=_replies([(200, _chat_reply())], seen))
    assert priced.complete([Message("user", "hi")]).cost_usd == pytest.approx((1000 * 0.5 + 500 * 1.0) / 1e6)


def test_the_task_deadline_bounds_timeouts_retries_and_waits(_offline_and_isolated: list[float]) -> None:
    seen: list[Any] = []
    model = get_model("openai:gpt-4.1-mini", api_key="k", timeout=60.0,
                      http_client=_transport([429], _chat_reply(), seen, [{"retry-after": "30"}]))
    with call_scope(deadline=time.monotonic() + 5), pytest.raises(ModelError, match="no time left") as info:
        model.complete([Message("user", "hi")])
    assert not isinstance(info.value, ConfigurationError)
    assert len(seen) == 1 and _offline_and_isolated == []  # no 30 s wait inside a 5 s budget
    assert seen[0].extensions["timeout"]["read"] <= 5.0  # the request timeout is cut to the budget too
    with call_scope(deadline=time.monotonic() - 1), pytest.raises(ModelError, match="time budget is used up"):
        model.complete([Message("user", "hi")])
    assert len(seen) == 1


def test_metered_counts_every_call_and_stops_at_the_cost_limit() -> None:
    inner = ScriptedModel(["a", Completion("b", 10, 5, 0.0, 0.02, "x:y", reasoning_tokens=3), "c"], cost_per_call=0.01)
    meter = Metered(inner, max_cost=0.025)
    meter.complete([Message("user", "one two")])
    meter.complete([Message("user", "q")])
    usage = meter.usage()
    assert (usage.calls, usage.reasoning_tokens) == (2, 3) and usage.cost_usd == pytest.approx(0.03)
    assert meter.spent()
    with pytest.raises(CostLimitReached):
        meter.complete([Message("user", "q")])
    assert inner.used == 2 and meter.id == inner.id
    unpriced = Metered(ScriptedModel(["a"], cost_per_call=None), max_cost=1.0)
    with pytest.raises(ConfigurationError, match="no price is known"):
        unpriced.complete([Message("user", "q")])


def test_local_backend_budget_deadline_and_think_stripping() -> None:
    """The in-process backend without loading a model: what it asks llama.cpp for, and how it reads the reply."""
    from evoskill.models.local_backend import LocalModel

    bodies: list[dict[str, Any]] = []

    class FakeServer:
        def handle_chat_completions(self, body: dict[str, Any]) -> dict[str, Any]:
            bodies.append(body)
            return {"choices": [{"finish_reason": "length", "message": {"content": "<think>hmm</think>ok"}}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 7}}

    model = LocalModel.__new__(LocalModel)
    model.name, model.id, model.retries, model.n_ctx = "x", "local:x", 0, 4096
    model.reply_tokens, model.reasoning_tokens, model._server, model.prompt_rate = None, 500, FakeServer(), 100.0
    out = model.complete([Message("user", "hi")], max_tokens=1200)
    assert out.text == "ok" and out.truncated and out.cost_usd == 0.0
    assert bodies[0]["max_tokens"] == 1700 and "t_max_predict_ms" not in bodies[0]
    model.complete([Message("user", "hi")], max_tokens=5000)
    assert bodies[1]["max_tokens"] == 2048  # never more than half the context
    with call_scope(deadline=time.monotonic() + 10):
        model.complete([Message("user", "hi")], max_tokens=100)
    assert 7000 <= bodies[2]["t_max_predict_ms"] <= 9000  # generation ends with the task's budget


# ---------------------------------------------------------------- ScriptedModel and the network guard


def test_scripted_model_order_record_and_exhaustion() -> None:
    m = ScriptedModel(["one", Completion("two", 3, 4, 0.1, 0.5, "x:y"), ModelError("down", provider="x")])
    assert m.complete([Message("user", "a b c")]).text == "one"
    assert m.complete([Message("user", "q")]).tokens_out == 4
    with pytest.raises(AssertionError, match="only 2 of 3"):
        m.assert_complete()
    with pytest.raises(ModelError):
        m.complete([Message("user", "q")])
    m.assert_complete()
    with pytest.raises(ScriptExhausted):
        m.complete([Message("user", "again")])
    assert m.prompts()[0] == "a b c" and len(m.calls) == 3


def test_network_guard_blocks_remote_and_allows_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=2):
        pass
    server.close()
    with pytest.raises(RemoteNetworkBlocked), network_guard():  # nested guard: reports at exit as well
        with pytest.raises(RemoteNetworkBlocked):
            socket.create_connection(("192.0.2.1", 443), timeout=1)
        with pytest.raises(RemoteNetworkBlocked):
            socket.getaddrinfo("api.openai.com", 443)
