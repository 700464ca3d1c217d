"""The real path: SmolLM2-135M in-process (llama.cpp via xllamacpp), directly and over its OpenAI API."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from evoskill.errors import MissingBackend, UserError
from evoskill.models import Message, get_model
from evoskill.models.local_backend import LocalModel
from evoskill.sandbox import Sandbox
from evoskill.synth.llm import LLMProposer
from evoskill.tasks import Example, Task
from evoskill.testing import network_guard

TASK = Task("reverse-string", "reverse the string",
            (Example(("abc",), "cba"), Example(("hello",), "olleh")),
            held_out=(Example(("xyz",), "zyx"),), input_types=("str",), output_type="str")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("EVOSKILL_MODELS", raising=False)
    with network_guard():
        yield


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=1) as sb:
        yield sb


def _check_flowed_through(attempt: Any) -> None:
    assert attempt.tokens_in > 0 and attempt.tokens_out > 0
    rounds = [e for e in attempt.log if "reply" in e]
    assert rounds and all(e["tokens_out"] > 0 for e in rounds)
    # every reply was either verified in the sandbox or recorded as having no usable code
    assert all(("verdict" in e) or e.get("no_code") for e in rounds)
    assert attempt.solved == any(e.get("passed") for e in rounds)
    if attempt.solved:
        assert attempt.solution is not None and attempt.solution.kind == "python"


def test_missing_xllamacpp_and_bad_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    with pytest.raises(UserError, match="no GGUF model"):
        get_model(f"local:{tmp_path}/missing.gguf")
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(MissingBackend) as info:
        get_model("local:smollm2", n_ctx=512)
    assert info.value.extra == "local" and "evoskill[local]" in str(info.value)


@pytest.mark.model
def test_local_smollm2_in_process_drives_the_proposer(sandbox: Sandbox) -> None:
    start = time.monotonic()
    model = get_model("local:smollm2")
    assert isinstance(model, LocalModel) and model.id == "local:smollm2"
    first = model.complete([Message("user", "Say hi.")], max_tokens=8)
    assert first.tokens_in > 0 and 0 < first.tokens_out <= 8 and first.cost_usd == 0.0
    attempt = LLMProposer(model, sandbox, attempts=2, max_tokens=120).propose(TASK.for_solver(),
                                                                            budget_seconds=30)
    _check_flowed_through(attempt)
    assert attempt.cost_usd == 0.0
    assert time.monotonic() - start < 40


@pytest.mark.model
def test_same_model_over_openai_compatible_server(sandbox: Sandbox) -> None:
    start = time.monotonic()
    local = get_model("local:smollm2")
    assert isinstance(local, LocalModel) and local.base_url.startswith("http://127.0.0.1:")
    model = get_model("openai:smollm2", base_url=local.base_url)  # no key needed on loopback
    reply = model.complete([Message("user", "Say hi.")], max_tokens=8)
    assert reply.tokens_in > 0 and reply.tokens_out > 0 and reply.cost_usd is None
    attempt = LLMProposer(model, sandbox, attempts=2, max_tokens=120).propose(TASK.for_solver(),
                                                                            budget_seconds=30)
    _check_flowed_through(attempt)
    assert time.monotonic() - start < 40
