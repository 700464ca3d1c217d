"""Model contract, registry, key store, retries (through the real SDK code paths) and ScriptedModel."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from typing import Any

import httpx2
import pytest

from evoskill import keys
from evoskill.errors import MissingBackend, MissingKey, ModelError, UserError
from evoskill.models import base
from evoskill.models.base import Completion, Failure, Message, price_of, with_retries
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
    with pytest.raises(ModelError, match="rejected the API key") as info:
        model.complete([Message("user", "hi")])
    assert info.value.status == 401 and info.value.provider == "openai" and len(seen) == 1
    model = get_model("openai:gpt-9", api_key="k", http_client=_transport([404], _chat_reply(), seen))
    with pytest.raises(ModelError, match="no model 'gpt-9'"):
        model.complete([Message("user", "hi")])


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
