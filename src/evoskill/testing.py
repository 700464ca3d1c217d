"""Test helpers shipped with evoskill: a scripted model and a guard against reaching remote services.

``ScriptedModel`` answers from a fixed script, records every call and fails loudly when the script and
the calls disagree. ``network_guard`` blocks connections to anything but loopback; in a test module::

    @pytest.fixture(autouse=True)
    def _offline():
        with network_guard():
            yield
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .models.base import Completion, Message

__all__ = ["RemoteNetworkBlocked", "ScriptExhausted", "ScriptedModel", "ScriptedProposer", "network_guard"]


class ScriptExhausted(AssertionError):
    """The code under test called the model more often than the script allows."""


class RemoteNetworkBlocked(AssertionError):
    """A test tried to reach a non-loopback address."""


class ScriptedModel:
    """A :class:`~evoskill.models.base.Model` that replies with ``responses`` in order.

    A response is a string (the reply text), a :class:`Completion`, or an exception instance (raised
    from that call, e.g. a ``ModelError``). ``calls`` holds the messages of every call.
    """

    def __init__(self, responses: Iterable[str | Completion | BaseException], *,
                 id: str = "scripted:model", cost_per_call: float | None = 0.0) -> None:
        self.id = id
        self.responses = list(responses)
        self.calls: list[list[Message]] = []
        self.options: list[dict[str, Any]] = []
        self.cost_per_call = cost_per_call

    @property
    def used(self) -> int:
        """How many scripted responses have been consumed."""
        return len(self.calls)

    def prompts(self) -> list[str]:
        """Every call's messages joined into one string, for assertions on prompt content."""
        return ["\n".join(m.content for m in call) for call in self.calls]

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
                 stop: Sequence[str] | None = None) -> Completion:
        """The next scripted response; :class:`ScriptExhausted` when there is none."""
        if len(self.calls) >= len(self.responses):
            raise ScriptExhausted(f"{self.id}: call {len(self.calls) + 1} but only "
                                  f"{len(self.responses)} responses were scripted")
        self.calls.append(list(messages))
        self.options.append({"max_tokens": max_tokens, "temperature": temperature, "stop": stop})
        item = self.responses[len(self.calls) - 1]
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Completion):
            return item
        tokens_in = sum(len(m.content.split()) for m in messages)
        return Completion(item, tokens_in, len(item.split()), 0.0, self.cost_per_call, self.id)

    def assert_complete(self) -> None:
        """Fail unless every scripted response was used."""
        if len(self.calls) != len(self.responses):
            raise AssertionError(f"{self.id}: only {len(self.calls)} of {len(self.responses)} scripted "
                                 "responses were used")


def _is_local(host: Any) -> bool:
    if host is None or host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def network_guard() -> Iterator[list[str]]:
    """Make connections to non-loopback hosts raise :class:`RemoteNetworkBlocked`.

    Yields the list of blocked destinations; on exit, raises if anything was blocked (even if the code
    under test swallowed the error), so a test that would reach a remote service fails.
    """
    blocked: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            blocked.append(f"{address[0]}:{address[1]}")
            raise RemoteNetworkBlocked(f"test tried to connect to {address[0]}:{address[1]}")

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if not _is_local(name):
            blocked.append(str(name))
            raise RemoteNetworkBlocked(f"test tried to resolve {name}")
        return real_getaddrinfo(host, *args, **kwargs)

    setattr(socket.socket, "connect", connect)  # noqa: B010 (plain assignment upsets mypy)
    setattr(socket.socket, "connect_ex", connect_ex)  # noqa: B010
    setattr(socket, "getaddrinfo", getaddrinfo)  # noqa: B010
    try:
        yield blocked
    finally:
        setattr(socket.socket, "connect", real_connect)  # noqa: B010
        setattr(socket.socket, "connect_ex", real_connect_ex)  # noqa: B010
        setattr(socket, "getaddrinfo", real_getaddrinfo)  # noqa: B010
    if blocked:
        raise RemoteNetworkBlocked(f"test reached for remote hosts: {', '.join(blocked)}")


class ScriptedProposer:
    """A proposer at the seam: answers each task with the next of the given programs (s-expressions), records
    how many examples it was shown, and can claim "solved" for a wrong program (``forge=True``), to show
    that nothing reaches the metrics or the library without the host's own check."""

    name = "scripted"

    def __init__(self, programs: Sequence[str], *, forge: bool = False) -> None:
        self.programs = list(programs)
        self.shown: list[int] = []
        self.forge = forge

    def propose(self, task: Any, *, budget_seconds: float, seed: int = 0) -> Any:
        from .lang.program import ops, parse, to_module
        from .proposer import Attempt, Solution

        assert not task.held_out, "a solver never sees held-out examples"
        self.shown.append(len(task.examples))
        if not self.programs:
            return Attempt(task=task.name, proposer=self.name)
        source = self.programs.pop(0)
        expr = parse(source)
        python = to_module(expr, "solve", task.input_types, task.output_type, "Scripted answer.")
        sol = Solution(kind="program", source=source, python=python, entry="solve", arg_types=task.input_types,
                       return_type=task.output_type, uses=tuple(sorted(set(ops(expr)))))
        return Attempt(task=task.name, proposer=self.name, solved=True, solution=sol, seconds=0.01,
                       verified=self.forge)
