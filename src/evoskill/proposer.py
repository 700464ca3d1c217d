"""The proposer contract: a task in, an :class:`Attempt` (maybe with a :class:`Solution`) out.

A proposer sees only ``task.for_solver()``: name, description and solver examples. A solution it returns
has passed the solver examples in the sandbox; whether it generalizes is decided later, by the loop, on
held-out examples the proposer never saw.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

from .errors import UserError
from .tasks import Task

__all__ = [
    "Attempt", "BUILT_IN", "NEEDS_MODEL", "Proposer", "ProposerContext", "Remembers", "Solution", "make_proposer",
    "proposer_names",
]


@dataclass
class Solution:
    """A program that passes a task's solver examples.

    ``kind`` is ``"program"`` (a DSL expression over library skills, ``source`` is its s-expression) or
    ``"python"`` (free Python from a model, ``source`` is the code). ``python`` is always a complete, runnable
    Python module defining ``entry``; ``uses`` names the library skills it calls.
    """

    kind: Literal["program", "python"]
    source: str
    python: str
    entry: str
    arg_types: tuple[str, ...]
    return_type: str
    uses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Solution:
        return cls(kind=d["kind"], source=d["source"], python=d["python"], entry=d["entry"],
                   arg_types=tuple(d["arg_types"]), return_type=d["return_type"], uses=tuple(d.get("uses", ())))


@dataclass
class Attempt:
    """What one proposer did on one task: the solution if any, and what it cost."""

    task: str
    proposer: str
    solved: bool = False
    solution: Solution | None = None
    programs_tried: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    log: list[dict[str, Any]] = field(default_factory=list)
    #: set only by the host-side check (:meth:`evoskill.learner.Learner.confirm`), never by a proposer
    verified: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["solution"] = self.solution.to_dict() if self.solution else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attempt:
        d = dict(d)
        sol = d.pop("solution", None)
        return cls(**d, solution=Solution.from_dict(sol) if sol else None)


class Proposer(Protocol):
    """Anything that can attempt a task. ``name`` appears in run records (``search``, ``llm``, ``hybrid``)."""

    name: str

    def propose(self, task: Task, *, budget_seconds: float, seed: int = 0) -> Attempt:
        """Attempt ``task`` (already the solver's view) within the budget."""
        ...


@runtime_checkable
class Remembers(Protocol):
    """A proposer that learns from its own attempts within a run (the search's portfolio: which task's guided
    search failed). The run keeps :meth:`memory` in its checkpoint and hands it back on ``--resume``, so a
    resumed run goes on as the uninterrupted one would have."""

    def memory(self, in_flight: Collection[str] = ()) -> dict[str, Any]:
        """What the proposer has learned so far, as JSON-ready data; for the tasks named in ``in_flight``
        (attempts not yet recorded by the run), as it stood before their latest attempt started."""
        ...

    def remember(self, memory: dict[str, Any]) -> None:
        """Take back what :meth:`memory` returned (in a fresh proposer, before its first attempt)."""
        ...


# ---- the registry --------------------------------------------------------------------------------------------

@dataclass
class ProposerContext:
    """What a proposer may be built from: the sandbox, the learner (the library side: components, library)
    and the model (None for proposers that use none). ``search_runner``: where search jobs run (None: in
    ``sandbox``; :class:`evoskill.executors.RayCluster` sends them to Ray)."""

    sandbox: Any
    learner: Any
    model: Any = None
    max_programs: int | None = None
    search_runner: Any = None


ProposerFactory = Callable[[ProposerContext], Proposer]

#: Proposers shipped with evoskill; others register under the entry point group ``evoskill.proposers``.
BUILT_IN = {"search": "evoskill.synth.search:make", "llm": "evoskill.synth.llm:make",
            "hybrid": "evoskill.synth.hybrid:make"}
#: Proposers that need ``--model``.
NEEDS_MODEL = {"llm", "hybrid"}


def _registered() -> dict[str, str]:
    found = dict(BUILT_IN)
    for ep in entry_points(group="evoskill.proposers"):
        found[ep.name] = ep.value
    return found


def proposer_names() -> list[str]:
    """Every proposer that can be named with ``--proposer``."""
    return sorted(_registered())


def make_proposer(name: str, context: ProposerContext) -> Proposer:
    """Build the proposer registered as ``name``."""
    target = _registered().get(name)
    if target is None:
        raise UserError(f"no proposer named {name!r}", fix=f"use one of {', '.join(proposer_names())}")
    module, _, attr = target.partition(":")
    factory: ProposerFactory = getattr(import_module(module), attr)
    return factory(context)
